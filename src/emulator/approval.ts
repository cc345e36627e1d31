/**
 * Approval (approval/v4): one seeded approval definition, its event subscription, instances (create with an
 * idempotent uuid, get, cancel) and their tasks, and the approval instance event (`approval.instance.status_changed_v4`,
 * the SDK's typed form of "审批实例状态变更"), pushed for subscribed definitions only. Feishu pages: "订阅审批事件",
 * "创建审批实例", "获取单个审批实例详情", "撤回审批实例".
 *
 * People decide in the Approval app, which the emulator stands in for with control routes (the console's inbox):
 *   GET  /_emulator/approvals/inbox?user=王芳            the tasks waiting for that person
 *   POST /_emulator/approvals/decide {"instance", "by", "decision": "approve" | "reject", "comment"?}
 * One approval among a node's approvers passes it (或签): the instance is APPROVED; one rejection REJECTS it.
 */
import express, { type Response } from 'express';
import { z } from 'zod';
import { deliveryFor } from './delivery.js';
import type { Kit } from './kit.js';
import { randomId, type EmulatorState, type SeedUser } from './state.js';

/** The seeded definition's code (an approval code is a UUID) and its one node, whose approvers the initiator names. */
export const DEMO_APPROVAL_CODE = '7C468A54-8745-4B1B-A0A7-0B6D3E9A2F11';
export const DEMO_APPROVER_NODE = 'approver';

interface Task {
  id: string;
  openId: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'DONE';
  nodeId: string;
  startTime: number;
  endTime?: number;
}

interface Instance {
  instanceCode: string;
  approvalCode: string;
  openId: string;
  form: string;
  uuid?: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED' | 'CANCELED' | 'DELETED';
  tasks: Task[];
  comments: { id: string; openId: string; comment: string; createTime: number }[];
  startTime: number;
  endTime?: number;
}

interface Definition {
  approvalCode: string;
  name: string;
  subscribed: boolean;
}

const createBody = z.looseObject({
  approval_code: z.string().min(1),
  open_id: z.string().optional(),
  user_id: z.string().optional(),
  form: z.string(),
  uuid: z.string().max(64).optional(),
  node_approver_open_id_list: z.array(z.object({ key: z.string(), value: z.array(z.string()) })).optional(),
});
const cancelBody = z.looseObject({ approval_code: z.string(), instance_code: z.string(), user_id: z.string() });
const formSchema = z.array(z.looseObject({ id: z.string(), type: z.string(), value: z.unknown() }));
const decideBody = z
  .object({
    instance: z.string().min(1),
    by: z.string().min(1),
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(1000).optional(),
  })
  .strict();

export function approvalRoutes(kit: Kit): express.Router {
  const r = kit.routes();
  const { state } = kit;
  const definitions = new Map<string, Definition>();
  const instances = new Map<string, Instance>();
  definitions.set(DEMO_APPROVAL_CODE, {
    approvalCode: DEMO_APPROVAL_CODE,
    name: '运维命令审批 Ops command approval',
    subscribed: false,
  });
  state.registerSection('approvals', {
    // The app's subscriptions outlive a reset, as its bot endpoint does: they are set-up, not data.
    reset: () => instances.clear(),
    snapshot: () => ({ definitions: [...definitions.values()], instances: [...instances.values()] }),
  });

  const user = (ref: string): SeedUser | undefined =>
    state.userByOpenId(ref) ?? state.userByEmail(ref) ?? state.users.find((u) => u.name === ref || u.en_name === ref);

  /** Tells the app, when it subscribed to the definition and a bot is configured to hear it. */
  const announce = (i: Instance) => {
    const delivery = deliveryFor(state);
    if (!definitions.get(i.approvalCode)?.subscribed || !delivery.endpoint) return;
    const u = state.userByOpenId(i.openId);
    delivery.pushEvent('approval.instance.status_changed_v4', {
      app_id: state.app.appId,
      approval_code: i.approvalCode,
      instance_code: i.instanceCode,
      status: i.status,
      operate_time: String(state.now()),
      ...(u ? { start_user: { open_id: u.open_id, union_id: u.union_id, user_id: u.user_id } } : {}),
    });
  };

  r.add({
    method: 'post',
    path: '/open-apis/approval/v4/approvals/:approval_code/subscribe',
    token: 'tenant',
    handler: ({ params }) => {
      const d = definitions.get(params.approval_code ?? '');
      if (!d) throw kit.error(1390002, { detail: `no approval definition ${params.approval_code}` });
      // Subscribing again keeps the subscription (UNVERIFIED: Feishu may answer a repeat with an error code).
      d.subscribed = true;
      return {};
    },
  });

  r.add({
    method: 'post',
    path: '/open-apis/approval/v4/instances',
    token: 'tenant',
    limits: { perMinute: 100 },
    body: createBody,
    invalidCode: 1390001,
    handler: ({ body }) => {
      const d = definitions.get(body.approval_code);
      if (!d) throw kit.error(1390002, { detail: `no approval definition ${body.approval_code}` });
      const initiator = body.open_id ? state.userByOpenId(body.open_id) : undefined;
      if (!initiator) throw kit.error(1390001, { detail: 'open_id must name a user of the tenant' });
      const form = formSchema.safeParse(safeJson(body.form));
      if (!form.success)
        throw kit.error(1390001, { detail: 'form must be a JSON array of {id, type, value} as a string' });
      const again = body.uuid && [...instances.values()].find((i) => i.uuid === body.uuid);
      if (again) return { instance_code: again.instanceCode, instance_link: linkOf(again) };
      const approvers = (body.node_approver_open_id_list ?? [])
        .filter((n) => n.key === DEMO_APPROVER_NODE)
        .flatMap((n) => n.value);
      const unknown = approvers.filter((id) => !state.userByOpenId(id));
      if (!approvers.length || unknown.length)
        throw kit.error(1390001, {
          detail: unknown.length
            ? `unknown approvers ${unknown.join(', ')}`
            : `node "${DEMO_APPROVER_NODE}" needs its approvers in node_approver_open_id_list`,
        });
      const now = state.now();
      const instance: Instance = {
        instanceCode: randomUuid(),
        approvalCode: d.approvalCode,
        openId: initiator.open_id,
        form: body.form,
        ...(body.uuid ? { uuid: body.uuid } : {}),
        status: 'PENDING',
        tasks: [...new Set(approvers)].map((openId) => ({
          id: randomId('', 16),
          openId,
          status: 'PENDING',
          nodeId: DEMO_APPROVER_NODE,
          startTime: now,
        })),
        comments: [],
        startTime: now,
      };
      instances.set(instance.instanceCode, instance);
      announce(instance);
      return { instance_code: instance.instanceCode, instance_link: linkOf(instance) };
    },
  });

  r.add({
    method: 'get',
    path: '/open-apis/approval/v4/instances/:instance_id',
    token: 'tenant',
    handler: ({ params }) => {
      const i = instances.get(params.instance_id ?? '');
      if (!i) throw kit.error(1390003, { detail: `no instance ${params.instance_id}` });
      return instanceView(i, definitions.get(i.approvalCode)?.name ?? '', state);
    },
  });

  r.add({
    method: 'post',
    path: '/open-apis/approval/v4/instances/cancel',
    token: 'tenant',
    body: cancelBody,
    invalidCode: 1390001,
    handler: ({ body }) => {
      const i = instances.get(body.instance_code);
      if (!i || i.approvalCode !== body.approval_code)
        throw kit.error(1390003, { detail: `no instance ${body.instance_code} of ${body.approval_code}` });
      if (i.openId !== body.user_id)
        throw kit.error(1390001, { detail: 'only the initiator may withdraw an instance' });
      if (i.status !== 'PENDING') throw kit.error(1390001, { detail: `the instance is ${i.status}, not PENDING` });
      finish(i, 'CANCELED');
      announce(i);
      return {};
    },
  });

  const finish = (i: Instance, status: Instance['status']) => {
    i.status = status;
    i.endTime = state.now();
    for (const t of i.tasks) if (t.status === 'PENDING') Object.assign(t, { status: 'DONE', endTime: i.endTime });
  };

  const control = express.Router();
  const fail = (res: Response, error: string) => void res.status(400).json({ error });
  control.get('/_emulator/approvals/inbox', (req, res) => {
    const who = user(String(req.query.user ?? ''));
    if (!who) return fail(res, 'user: an open_id, email or name from GET /_emulator/state');
    const tasks = [...instances.values()].flatMap((i) =>
      i.status === 'PENDING' && i.tasks.some((t) => t.openId === who.open_id && t.status === 'PENDING')
        ? [
            {
              instance: i.instanceCode,
              approval: definitions.get(i.approvalCode)?.name ?? i.approvalCode,
              initiator: state.userByOpenId(i.openId)?.name ?? i.openId,
              form: formText(i.form),
              startTime: i.startTime,
            },
          ]
        : [],
    );
    res.json({ user: who.name, tasks });
  });
  control.post('/_emulator/approvals/decide', (req, res) => {
    const input = decideBody.safeParse(req.body ?? {});
    if (!input.success) return fail(res, input.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const { instance: code, by, decision, comment } = input.data;
    const i = instances.get(code);
    const who = user(by);
    const task = i?.tasks.find((t) => t.openId === who?.open_id && t.status === 'PENDING');
    if (!i || !who) return fail(res, `no instance ${code} or no user ${by}`);
    if (i.status !== 'PENDING' || !task) return fail(res, `${who.name} has no pending task on ${code} (${i.status})`);
    const now = state.now();
    Object.assign(task, { status: decision === 'approve' ? 'APPROVED' : 'REJECTED', endTime: now });
    if (comment) i.comments.push({ id: randomId('', 16), openId: who.open_id, comment, createTime: now });
    finish(i, decision === 'approve' ? 'APPROVED' : 'REJECTED');
    announce(i);
    res.json({ instance: code, status: i.status });
  });

  return express.Router().use(r.router, control);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The form's values as one text, for the inbox. */
function formText(form: string): string {
  const parsed = formSchema.safeParse(safeJson(form));
  return parsed.success ? parsed.data.map((c) => String(c.value)).join('\n') : form;
}

const randomUuid = () => {
  const h = randomId('', 32).toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

const linkOf = (i: Instance) =>
  `https://applink.feishu.cn/client/mini_program/open?appId=cli_approval&path=detail&instanceId=${i.instanceCode}`;

function instanceView(i: Instance, name: string, state: EmulatorState): Record<string, unknown> {
  const u = state.userByOpenId(i.openId);
  const ms = (t: number | undefined) => (t === undefined ? '0' : String(t));
  return {
    approval_name: name,
    approval_code: i.approvalCode,
    instance_code: i.instanceCode,
    start_time: ms(i.startTime),
    end_time: ms(i.endTime),
    user_id: u?.user_id ?? '',
    open_id: i.openId,
    serial_number: i.instanceCode.slice(0, 8),
    department_id: u?.department_ids[0] ?? '',
    status: i.status,
    uuid: i.uuid ?? '',
    form: i.form,
    task_list: i.tasks.map((t) => ({
      id: t.id,
      user_id: state.userByOpenId(t.openId)?.user_id ?? '',
      open_id: t.openId,
      status: t.status,
      node_id: t.nodeId,
      node_name: '审批人 Approver',
      type: 'OR',
      start_time: ms(t.startTime),
      end_time: ms(t.endTime),
    })),
    comment_list: i.comments.map((c) => ({
      id: c.id,
      user_id: state.userByOpenId(c.openId)?.user_id ?? '',
      open_id: c.openId,
      comment: c.comment,
      create_time: ms(c.createTime),
    })),
    timeline: [
      { type: 'START', create_time: ms(i.startTime), open_id: i.openId, ext: '{}' },
      ...i.tasks
        .filter((t) => t.status === 'APPROVED' || t.status === 'REJECTED')
        .map((t) => ({
          type: t.status === 'APPROVED' ? 'PASS' : 'REJECT',
          create_time: ms(t.endTime),
          open_id: t.openId,
          task_id: t.id,
          ext: '{}',
        })),
      ...(i.status === 'CANCELED'
        ? [{ type: 'CANCEL', create_time: ms(i.endTime), open_id: i.openId, ext: '{}' }]
        : []),
    ],
  };
}
