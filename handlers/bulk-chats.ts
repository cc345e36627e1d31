/**
 * /bulk groups, members and mailgroups: each row is a /group create, /group add or /mailgroup create, validated by
 * that command's schema and refused for the reasons it gives (the owner unusable, a chat the sender does not manage).
 * Chat creates carry the row's key as Feishu's uuid; mail groups look before creating when an attempt may have landed.
 */
import { checkUsers, userRef, type UserRef } from './provision.js';
import { manageVerdict, namesOf } from './group-members.js';
import { groupCreateSpec, groupAddSpec } from './group.js';
import { mailgroupCreateSpec, WHO } from './mailgroup.js';

import { FeishuError } from '../src/feishu/errors.js';
import { t } from '../src/i18n.js';
import {
  filled,
  peopleIn,
  repeats,
  unknownPeople,
  validated,
  type BulkKind,
  type PlanContext,
  type Row,
  type RowPlan,
  type RowProblem,
} from './bulk-kinds.js';

/** Users per chat-create call (Feishu "创建群": at most 50); the rest are added after. */
const CREATE_BATCH = 50;

/** The people columns of a row resolved; unknown ones become problems of their column. */
async function people(
  { ctx, column }: PlanContext,
  row: Row,
  fields: readonly string[],
): Promise<{ found: Record<string, UserRef[]>; problems: RowProblem[] }> {
  const found: Record<string, UserRef[]> = {};
  const problems: RowProblem[] = [];
  for (const f of fields) {
    const r = await peopleIn(ctx.gateway.directory, row.cells[f]);
    found[f] = r.people;
    if (r.unknown.length) problems.push(unknownPeople(column(f), r.unknown));
  }
  return { found, problems };
}

const groups: BulkKind = {
  name: 'groups',
  command: 'group create',
  columns: {
    name: ['群名称', '群名', '名称', 'chat name'],
    members: ['成员', '群成员'],
    owner: ['群主'],
    desc: ['description', '描述', '群描述'],
  },
  example: 'name,members,owner\n项目群,lina@example.com wangfang@example.com,',
  endpoint: 'chat.create',
  async plan(p, rows) {
    const out: RowPlan[] = [];
    for (const row of rows) {
      const label = row.cells.name ?? '';
      const { found, problems } = await people(p, row, ['members', 'owner']);
      const [owner, ...extra] = found.owner ?? [];
      if (extra.length) problems.push({ column: p.column('owner'), reason: t('bulk.problem.oneOwner') });
      const input = { ...filled(row.cells, ['name', 'desc']), members: found.members, ...(owner ? { owner } : {}) };
      const v = validated(groupCreateSpec, input, p.column);
      if (!v.ok || problems.length) {
        out.push({ state: 'invalid', label, problems: [...problems, ...(v.ok ? [] : v.problems)] });
        continue;
      }
      const theOwner = owner ?? { openId: p.ctx.sender.openId, name: p.ctx.sender.name ?? p.ctx.sender.openId };
      const { unusable } = await checkUsers(p.ctx.gateway.directory, [theOwner]);
      const ownerProblem = unusable[0];
      out.push(
        ownerProblem
          ? {
              state: 'invalid',
              label,
              problems: [
                {
                  column: p.column('owner'),
                  reason: t('bulk.problem.ownerUnusable', {
                    name: ownerProblem.name,
                    reason: ownerProblem.reason,
                  }),
                },
              ],
            }
          : { state: 'create', label, args: { ...v.args, owner: theOwner } },
      );
    }
    return out;
  },
  async apply(env, args, { key }) {
    const a = groupCreateSpec.args.parse(args);
    const owner = userRef.parse(a.owner);
    const { usable } = await checkUsers(
      env.gateway.directory,
      a.members.filter((m) => m.openId !== owner.openId),
    );
    const chat = await env.gateway.chats.create(
      {
        name: a.name,
        description: a.desc,
        ownerId: owner.openId,
        userIds: usable.slice(0, CREATE_BATCH).map((u) => u.openId),
        chatType: a.public ? 'public' : 'private',
        groupMessageType: a.thread ? 'thread' : undefined,
      },
      { uuid: key },
    );
    const rest = usable.slice(CREATE_BATCH);
    if (rest.length)
      await env.gateway.chats.addMembers(
        chat.chatId,
        rest.map((u) => u.openId),
      );
    return {
      detail: `${chat.name} ${chat.chatId} · ${usable.length + 1}`,
      inverse: [{ op: 'chat.dissolve', chatId: chat.chatId, name: chat.name }],
    };
  },
};

const members: BulkKind = {
  name: 'members',
  command: 'group add',
  columns: { chat: ['群', '群 id', 'chat id', 'chat_id', '群聊'], members: ['成员', '群成员'] },
  example: 'chat,members\noc_1a2b3c,lina@example.com',
  endpoint: 'chat.members.create',
  async plan(p, rows) {
    const out: RowPlan[] = [];
    const verdicts = new Map<string, ReturnType<typeof manageVerdict>>();
    for (const row of rows) {
      const label = row.cells.chat ?? '';
      const { found, problems } = await people(p, row, ['members']);
      const v = validated(groupAddSpec, { ...filled(row.cells, ['chat']), members: found.members }, p.column);
      if (!v.ok || problems.length || !v.args.chat) {
        const missing = v.ok && !v.args.chat ? [{ column: p.column('chat'), reason: t('bulk.problem.required') }] : [];
        out.push({ state: 'invalid', label, problems: [...problems, ...missing, ...(v.ok ? [] : v.problems)] });
        continue;
      }
      const chat = v.args.chat;
      if (!verdicts.has(chat)) verdicts.set(chat, manageVerdict(p.ctx, chat));
      const verdict = await verdicts.get(chat)!.catch((err: unknown) => {
        if (err instanceof FeishuError) return { ok: false as const, problem: err.explain().problem };
        throw err;
      });
      if (!verdict.ok) {
        out.push({
          state: 'invalid',
          label,
          problems: [{ column: p.column('chat'), reason: verdict.problem }],
        });
        continue;
      }
      const wanted = v.args.members.filter((u) => !verdict.members.has(u.openId));
      out.push(
        wanted.length
          ? {
              state: 'create',
              label: `${verdict.name} ← ${namesOf(wanted)}`,
              args: { chat, members: wanted, name: verdict.name },
            }
          : { state: 'exists', label: verdict.name, existing: `${chat}: ${namesOf(v.args.members)}` },
      );
    }
    return out;
  },
  async apply(env, args) {
    const a = groupAddSpec.args.parse(args);
    const chat = a.chat!;
    const chatName = typeof args.name === 'string' ? args.name : chat;
    const { usable } = await checkUsers(env.gateway.directory, a.members);
    const r = await env.gateway.chats.addMembers(
      chat,
      usable.map((u) => u.openId),
    );
    const skipped = new Set([...r.invalidIds, ...r.notExistedIds, ...r.pendingApprovalIds]);
    const added = usable.filter((u) => !skipped.has(u.openId));
    return {
      detail: `${chatName} ← ${namesOf(added)}`,
      inverse: added.length ? [{ op: 'chat.members.remove', chatId: chat, chatName, users: added }] : [],
    };
  },
};

const mailgroups: BulkKind = {
  name: 'mailgroups',
  command: 'mailgroup create',
  columns: {
    email: ['地址', '邮件组地址', '邮箱', 'address'],
    name: ['名称', '邮件组名称'],
    desc: ['description', '描述'],
    who: ['谁可以发信', '发信权限'],
    members: ['成员'],
  },
  example: 'email,name,who\nops-team@example.com,运维组,internal',
  endpoint: 'mailgroup.create',
  async plan(p, rows) {
    const out: RowPlan[] = [];
    const seen = new Map<string, number>();
    for (const row of rows) {
      const label = row.cells.email ?? '';
      const { found, problems } = await people(p, row, ['members']);
      const input = { ...filled(row.cells, ['email', 'name', 'desc', 'who']), members: found.members };
      const v = validated(mailgroupCreateSpec, input, p.column);
      if (!v.ok || problems.length) {
        out.push({ state: 'invalid', label, problems: [...problems, ...(v.ok ? [] : v.problems)] });
        continue;
      }
      const address = v.args.email.toLowerCase();
      const twin = seen.get(address);
      if (twin) {
        out.push({ state: 'invalid', label, problems: [repeats(p.column('email'), twin)] });
        continue;
      }
      seen.set(address, row.n);
      const existing = await p.ctx.gateway.mailgroups.get(v.args.email);
      out.push(
        existing
          ? { state: 'exists', label, existing: `${existing.email} ${existing.mailgroupId}` }
          : { state: 'create', label, args: v.args },
      );
    }
    return out;
  },
  async apply(env, args, { resumed }) {
    const a = mailgroupCreateSpec.args.parse(args);
    const g = env.gateway.mailgroups;
    const { usable } = await checkUsers(env.gateway.directory, a.members);
    const { mailgroupId, email } = await g.create(
      { email: a.email, name: a.name, description: a.desc, whoCanSendMail: WHO[a.who] },
      { mayExist: resumed },
    );
    if (usable.length)
      await g.addMembers(
        mailgroupId,
        usable.map((u) => ({ type: 'USER' as const, userId: u.openId })),
        { mayExist: resumed },
      );
    return {
      detail: `${email} ${mailgroupId} · ${usable.length}`,
      inverse: [{ op: 'mailgroup.delete', mailgroupId, email }],
    };
  },
};

export const CHAT_KINDS = { groups, members, mailgroups };
