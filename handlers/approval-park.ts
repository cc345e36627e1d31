/**
 * Parking a guarded command or click: the request is recorded (what runs sealed) before anyone is asked, the
 * requester gets "Waiting for approval" naming the approvers, and the approvers get cards (each privately,
 * or one in `approvals.chat`), or, in native mode, a Feishu approval instance is opened. A redelivered command makes
 * the same request (its id derives from the delivery) and posts nothing twice (message and instance uuids too).
 */
import { z } from 'zod';
import { approvalWaitingCard, approverCard, errorCard, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';

import type { ActionResult, ActionContext, CommandContext } from '../src/context.js';
import { displayName } from '../src/feishu/directory-cache.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { listOf, pick, t, type Text } from '../src/i18n.js';
import { deriveKey } from '../src/keys.js';
import type { Logger } from '../src/log.js';
import type { Sealing } from '../src/auth/seal.js';
import type { Delivery } from '../src/delivery.js';
import { approverIds, isApprover, type ApprovalDesk, type ApprovalRule } from '../src/middleware/approval.js';
import { describePrincipal } from '../src/middleware/authorize.js';
import { msg } from '../src/commands/spec.js';
import type { Store } from '../src/store/store.js';
import {
  change,
  instances,
  openRequests,
  requestCards,
  locked,
  requests,
  requestsBy,
  sealParked,
  showDecision,
  viewOf,
  type Parked,
  type RequestRecord,
} from './approval-records.js';

const request = z.object({
  request: z.string().regex(/^[0-9a-f]{32}$/, msg('approval.args.noRequest')),
});
export const approveAction = defineAction('approval.approve', request);
/** The Reject form's submit: `reason` is the form's one field. */
export const rejectAction = defineAction(
  'approval.reject',
  request.extend({ reason: z.string().max(500, msg('approval.args.reasonTooLong')).optional() }),
  { form: ['reason'] },
);
export const withdrawAction = defineAction('approval.withdraw', request);

/** What the approval handlers act with besides a context: the bot's store, ports and inbox. */
export interface ApprovalDeps {
  sealer: Sealing;
  /** Puts an internal event into the durable inbox. */
  enqueue(d: Delivery): Promise<unknown>;
  store: Store;
  gateway: FeishuPorts;
  logger: Logger;
  now?: () => number;
}

type Ctx = CommandContext | ActionContext;

const HOUR = 3_600_000;
/** A command may wait for the request's lock longer than a click would. */
const LOCK_WAIT_MS = 15_000;
const MAX_LINE_CHARS = 200;
const clip = (s: string) => ([...s].length > MAX_LINE_CHARS ? `${[...s].slice(0, MAX_LINE_CHARS).join('')} …` : s);

/** What the cards show of the request: the line as typed, or the button with what it carries. */
function lineOf(ctx: Ctx, args: object, rule: ApprovalRule, action?: string): string {
  if (ctx.kind === 'message') return clip(ctx.text?.split('\n')[0]?.trim() || `/${rule.key}`);
  const values = Object.entries(args)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  return clip(`/${rule.key} ${values}`.trim() + (action ? ` (${action})` : ''));
}

async function namesOf(ctx: Ctx, approve: readonly string[]): Promise<Text> {
  const names = await Promise.all(approve.map((p) => describePrincipal(p, ctx.gateway.directory)));
  return listOf(names);
}

const noApprovers = (rule: ApprovalRule): Card =>
  errorCard({
    title: t('approval.noApprovers.title'),
    problems: [t('approval.noApprovers.problem', { command: rule.key })],
    nextStep: t('approval.noApprovers.nextStep', { command: rule.key }),
  });

export function approvalDesk(deps: ApprovalDeps): ApprovalDesk {
  const subscribed = new Map<string, Promise<void>>();
  const subscribe = (code: string) => {
    let p = subscribed.get(code);
    if (!p) {
      p = deps.gateway.approvals.subscribe(code).catch((err: unknown) => {
        subscribed.delete(code);
        throw err;
      });
      subscribed.set(code, p);
    }
    return p;
  };

  /** Native mode: the instance, opened once per request (its uuid), its code kept for the approval event. */
  async function openInstance(ctx: Ctx, r: RequestRecord, line: string, approvers: string[]): Promise<void> {
    const cfg = ctx.config.app.approvals;
    const code = cfg.approvalCode!;
    await subscribe(code);
    const { instanceCode } = await ctx.gateway.approvals.createInstance({
      approvalCode: code,
      openId: r.requester.openId,
      // The form holds one string: the approvers read it in the default language.
      form: [
        {
          id: cfg.formControl,
          type: 'textarea',
          value: pick(t('approval.native.form', { line, name: r.requester.name })),
        },
      ],
      ...(cfg.approverNode ? { nodeApprovers: { [cfg.approverNode]: approvers } } : {}),
      uuid: deriveKey(r.id, 'instance'),
    });
    await instances.set(ctx.store, instanceCode, r.id);
    await change(ctx.store, r.id, LOCK_WAIT_MS, () => ({ instanceCode }));
  }

  async function park(ctx: Ctx, args: object, rule: ApprovalRule, action?: string): Promise<ActionResult | void> {
    const app = ctx.config.app;
    const me = ctx.sender.openId;
    const approvers = approverIds(app, rule).filter((id) => id !== me);
    if (!approvers.length) {
      ctx.outcome = 'refused';
      const card = noApprovers(rule);
      if (ctx.kind === 'action') return { toast: { type: 'error', text: t('approval.toast.noApprovers') }, card };
      return void (await ctx.reply(card));
    }
    const id = deriveKey(ctx.dedupeKey, 'approval');
    const line = lineOf(ctx, args, rule, action);
    const values = { ...(args as Record<string, unknown>) };
    const parked: Parked =
      ctx.kind === 'message'
        ? {
            line,
            kind: 'command',
            command: {
              command: ctx.target?.key ?? rule.key,
              args: values,
              ...(ctx.text !== undefined ? { text: ctx.text } : {}),
              ...(ctx.messageId ? { messageId: ctx.messageId } : {}),
            },
          }
        : {
            line,
            kind: 'action',
            action: {
              action: action ?? '',
              args: values,
              ...(ctx.messageId ? { messageId: ctx.messageId } : {}),
              ...(ctx.chatId ? { chatId: ctx.chatId } : {}),
            },
          };
    const now = ctx.now();
    const fresh: RequestRecord = {
      id,
      rule: rule.key,
      approve: [...rule.approve],
      approverNames: await namesOf(ctx, rule.approve),
      requester: { openId: me, name: ctx.sender.name ?? (await displayName(ctx.gateway.directory, me)) },
      ...(ctx.chatId ? { chatId: ctx.chatId } : {}),
      ...(ctx.chatType ? { chatType: ctx.chatType } : {}),
      mode: app.approvals.mode,
      twoPerson: isApprover(app, rule, me),
      status: 'pending',
      createdAt: now,
      expiresAt: now + app.approvals.expireHours * HOUR,
      sealed: sealParked(deps.sealer, id, parked),
    };
    // Recorded before anyone is asked, so every card's button finds it; a redelivery finds the first record.
    if (await requests.setIfAbsent(ctx.store, id, fresh)) {
      await openRequests.add(deps.store, 'all', id, now);
      await requestsBy.add(deps.store, me, id, now);
      await ctx.audit('approval.request', rule.key, 'ok', id);
    }
    const r = (await requests.get(ctx.store, id)) ?? fresh;
    if (r.mode === 'feishu' && !r.instanceCode) await openInstance(ctx, r, line, approvers);
    const view = viewOf(r, parked);
    const waiting = approvalWaitingCard(
      view,
      withdrawAction.button(
        { request: id },
        { label: t('approval.button.withdraw'), confirm: t('approval.button.withdrawConfirm') },
      ),
    );
    const own = ctx.kind === 'message' ? await ctx.reply(waiting) : await ctx.send(waiting);
    const asked = r.mode === 'card' ? await askApprovers(ctx, r, view, approvers) : [];
    // Under the lock: a decision taken meanwhile (a rerun after a crash finds one) shows on every card, in order.
    const shown = await locked(ctx.store, id, LOCK_WAIT_MS, async () => {
      await requestCards.set(ctx.store, id, [own.messageId, ...asked]);
      const now = await requests.get(ctx.store, id);
      if (now && now.status !== 'pending') await showDecision({ ...deps, store: ctx.store, logger: ctx.logger }, now);
    });
    // The inbox runs the command again later; its posts repeat nothing (their uuids).
    if (shown.state === 'busy') throw new Error(`approval request ${id} stayed locked; its cards are not recorded yet`);
    if (ctx.kind === 'action') return { toast: { type: 'info', text: t('approval.toast.sent') } };
  }

  async function carries(ctx: Ctx, rule: ApprovalRule): Promise<boolean> {
    const r = ctx.approval === undefined ? undefined : await requests.get(ctx.store, ctx.approval);
    // Done too: an approved command that stopped for the requester's sign-in goes on from it, as approved.
    const approved = r?.status === 'running' || r?.status === 'done';
    // An approval of the whole command covers the rules inside it.
    const covers = r?.rule === rule.key || r?.rule === ctx.target?.key;
    return approved && r?.requester.openId === ctx.sender.openId && covers;
  }

  return { park, carries };
}

/** One card per approver privately (each its own uuid), or one card in `approvals.chat`. */
async function askApprovers(
  ctx: Ctx,
  r: RequestRecord,
  view: ReturnType<typeof viewOf>,
  approvers: string[],
): Promise<string[]> {
  const card = approverCard(
    view,
    approveAction.button(
      { request: r.id },
      { label: t('approval.button.approve'), style: 'primary', confirm: t('approval.button.approveConfirm') },
    ),
    rejectAction.button({ request: r.id }, { label: t('approval.button.reject'), style: 'danger' }),
  );
  const chat = ctx.config.app.approvals.chat;
  const to = chat ? [{ chatId: chat }] : approvers.map((openId) => ({ openId }));
  const sent = [];
  for (const recipient of to) {
    const uuid = deriveKey(r.id, 'chatId' in recipient ? recipient.chatId : recipient.openId);
    sent.push((await ctx.gateway.im.sendCard(recipient, card, { uuid })).messageId);
  }
  return sent;
}
