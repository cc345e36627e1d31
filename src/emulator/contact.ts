/**
 * Contact: user get and users/batch_get_id (Feishu "获取单个用户信息", "通过手机号或邮箱获取用户 ID").
 */
import { z } from 'zod';
import { avatarUrl } from './auth.js';
import type { Kit } from './kit.js';
import type { EmulatorState, SeedUser } from './state.js';

const LIMITS = { perSecond: 50, perMinute: 1000 };
const userIdType = z.enum(['open_id', 'union_id', 'user_id']).default('open_id');

const getQuery = z.object({
  user_id_type: userIdType,
  department_id_type: z.enum(['department_id', 'open_department_id']).optional(),
});
const batchQuery = z.object({ user_id_type: userIdType });
const batchBody = z.object({
  emails: z.array(z.string()).max(50, 'at most 50 emails').default([]),
  mobiles: z.array(z.string()).max(50, 'at most 50 mobiles').default([]),
  include_resigned: z.boolean().default(false),
});

function status(u: SeedUser) {
  return {
    is_frozen: false,
    is_resigned: u.resigned,
    is_activated: !u.resigned,
    is_exited: u.resigned,
    is_unjoin: false,
  };
}

function userView(u: SeedUser): Record<string, unknown> {
  const avatar = avatarUrl(u.open_id);
  return {
    union_id: u.union_id,
    user_id: u.user_id,
    open_id: u.open_id,
    name: u.name,
    en_name: u.en_name,
    nickname: '',
    email: u.email,
    enterprise_email: u.enterprise_email,
    mobile: u.mobile,
    mobile_visible: true,
    gender: 0,
    avatar: { avatar_72: avatar, avatar_240: avatar, avatar_640: avatar, avatar_origin: avatar },
    status: status(u),
    department_ids: u.department_ids,
    leader_user_id: u.leader_user_id,
    city: '上海 Shanghai',
    country: 'CN',
    work_station: '',
    join_time: 1_640_995_200,
    is_tenant_manager: false,
    employee_no: u.employee_no,
    employee_type: 1,
    job_title: u.job_title,
  };
}

/** Chinese mobiles may be given without +86; others need their +cc ("通过手机号或邮箱获取用户 ID"). */
function byMobile(state: EmulatorState, mobile: string): SeedUser | undefined {
  const normalized = mobile.startsWith('+') ? mobile : `+86${mobile}`;
  return state.users.find((u) => u.mobile === normalized);
}

export function contactRoutes(kit: Kit) {
  const r = kit.routes();
  const { state } = kit;

  r.add({
    method: 'get',
    path: '/open-apis/contact/v3/users/:user_id',
    token: 'tenant_or_user',
    limits: LIMITS,
    query: getQuery,
    handler: ({ params, query }) => {
      const u = state.userById(query.user_id_type, params.user_id ?? '');
      // Unknown, invisible and other-tenant users are all outside the app's contact scope.
      if (!u || u.invisible || u.tenant_key !== state.app.tenantKey) {
        throw kit.error(41050, { detail: `${query.user_id_type} ${params.user_id} is not in the app's contact scope` });
      }
      return { user: userView(u) };
    },
  });

  r.add({
    method: 'post',
    path: '/open-apis/contact/v3/users/batch_get_id',
    token: 'tenant',
    limits: LIMITS,
    query: batchQuery,
    body: batchBody,
    handler: ({ query, body }) => {
      // Enterprise mail addresses are not supported by this API: only the contact email matches.
      const visible = (u: SeedUser | undefined) =>
        u && !u.invisible && u.tenant_key === state.app.tenantKey && (body.include_resigned || !u.resigned)
          ? u
          : undefined;
      const entry = (u: SeedUser | undefined) => (u ? { user_id: u[query.user_id_type], status: status(u) } : {});
      return {
        user_list: [
          ...body.emails.map((email) => ({
            ...entry(visible(state.users.find((x) => x.email.toLowerCase() === email.toLowerCase()))),
            email,
          })),
          ...body.mobiles.map((mobile) => ({ ...entry(visible(byMobile(state, mobile))), mobile })),
        ],
      };
    },
  });

  return r.router;
}
