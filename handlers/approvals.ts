/**
 * Approvals: a second pair of eyes for risky commands. The gate (src/middleware/approval.ts) parks a guarded command
 * (approval-park.ts); here the approvers decide on its cards (Approve, Reject with a reason, the requester's
 * Withdraw) or in Feishu Approval (native mode: the instance's status event), and an approved request runs as the
 * requester exactly once: the decision puts one inbox item (its dedupe key the request's id) that resumes the command
 * through authorization; every card of the request then shows what happened. `/approvals` lists what waits for you
 * and what you asked for; the audit trail records who asked, who approved, rejected or withdrew, and how the run went.
 */
import { APPROVAL_STATUS_TEXT, type Card } from '../cards/index.js';
import type { App, RunOrigin } from '../src/app.js';
import type { ActionContext, ActionResult, EventContext, Outcome } from '../src/context.js';
import {
  APPROVAL_APPROVED,
  APPROVAL_INSTANCE_CHANGED,
  APPROVAL_INSTANCE_V1,
  type FeishuEvents,
} from '../src/events.js';
import { displayName } from '../src/feishu/directory-cache.js';
import { t, type MessageKey, type Vars } from '../src/i18n.js';
import { approvalGate, approvalRule, isApprover } from '../src/middleware/approval.js';
import { approvalDesk, approveAction, rejectAction, withdrawAction, type ApprovalDeps } from './approval-park.js';
import {
  approvedDelivery,
  change,
  CLICK_WAIT_MS,
  decidedCard,
  instances,
  isExpired,
  listed,
  openParked,
  openRequests,
  requests,
  showDecision,
  type RequestRecord,
} from './approval-records.js';
import { registerApprovalList } from './approval-list.js';

export type { ApprovalDeps } from './approval-park.js';

const toast = (type: 'error' | 'info' | 'success' | 'warning', key: MessageKey, vars?: Vars): ActionResult => ({
  toast: { type, text: t(key, vars) },
});
const GONE = toast('error', 'approval.toast.gone');
const BUSY = toast('info', 'approval.toast.busy');
/** Waits for a request's lock: the inbox may wait longer than a click. */
const INBOX_WAIT_MS = 15_000;

type Decision = 'approved' | 'rejected' | 'withdrawn' | 'expired';
/** What the audit trail calls each decision. */
const AUDITED: Record<Decision, string> = {
  approved: 'approval.approve',
  rejected: 'approval.reject',
  withdrawn: 'approval.withdraw',
  expired: 'approval.expire',
};

export function registerApprovals(app: App, deps: ApprovalDeps): { sweep(): Promise<void> } {
  const now = deps.now ?? Date.now;
  const env = { gateway: deps.gateway, store: deps.store, sealer: deps.sealer, logger: deps.logger };
  app.gate(approvalGate(approvalDesk(deps)));

  /** The rule as configured now (an approver removed since the request no longer approves), else as recorded. */
  const approvesNow = (r: RequestRecord, openId: string) =>
    isApprover(app.config.app, approvalRule(app.config.app, r.rule) ?? { key: r.rule, approve: r.approve }, openId);

  /**
   * The one decision a request gets: from pending to `to` (or expired, once past its time), under its lock. An
   * approval puts the run into the inbox; every card shows the outcome. `except`: the clicked card, answered apart.
   */
  async function decide(
    id: string,
    to: Decision,
    by: { openId: string; name: string },
    o: { waitMs: number; reason?: string; except?: string; eventId?: string; fromFeishu?: boolean },
  ): Promise<
    | { state: 'busy' }
    | { state: 'gone' }
    | { state: 'unchanged'; record: RequestRecord }
    | { state: 'changed'; record: RequestRecord; card: Card }
  > {
    const at = now();
    let card: Card | undefined;
    const show = async (r: RequestRecord) => void (card = await showDecision(env, r, o.except));
    const res = await change(
      deps.store,
      id,
      o.waitMs,
      (r) =>
        r.status !== 'pending'
          ? undefined
          : to === 'expired' || isExpired(r, at)
            ? { status: 'expired' }
            : { status: to, decision: { by: by.openId, name: by.name, at, ...(o.reason ? { reason: o.reason } : {}) } },
      show,
    );
    if (res.state !== 'changed') return res;
    const r = res.record;
    if (r.status === 'approved') await deps.enqueue(approvedDelivery(id, at));
    // Withdrawn or expired here: the Feishu instance (native mode) is withdrawn too, so nobody decides it in vain.
    if ((r.status === 'withdrawn' || r.status === 'expired') && r.instanceCode && !o.fromFeishu)
      await deps.gateway.approvals
        .cancelInstance(app.config.app.approvals.approvalCode ?? '', r.instanceCode, r.requester.openId)
        .catch((err: unknown) =>
          deps.logger.warn({ err, request: id }, 'could not withdraw the Feishu approval instance'),
        );
    const expired = r.status === 'expired';
    await deps.store.audit({
      at,
      actor: expired ? 'system' : by.openId,
      action: AUDITED[expired ? 'expired' : to],
      target: r.rule,
      result: 'ok',
      detail: `request ${id} by ${r.requester.openId}${o.reason ? `: ${o.reason.slice(0, 200)}` : ''}`,
      ...(o.eventId ? { eventId: o.eventId } : {}),
    });
    return { state: 'changed', record: r, card: card ?? decidedCard(r, openParked(deps.sealer, r)) };
  }

  /** A click's answer: the clicked card shows the decision, with a toast saying what happened. */
  async function click(
    ctx: ActionContext,
    id: string,
    to: Exclude<Decision, 'expired'>,
    reason?: string,
  ): Promise<ActionResult> {
    const r = await requests.get(ctx.store, id);
    if (!r) return GONE;
    const me = ctx.sender.openId;
    if (to === 'withdrawn' ? r.requester.openId !== me : r.requester.openId === me || !approvesNow(r, me)) {
      await ctx.audit(AUDITED[to], r.rule, 'refused', id);
      if (to === 'withdrawn') return toast('error', 'approval.toast.onlyRequester');
      return r.requester.openId === me
        ? toast('error', 'approval.toast.notOwn')
        : toast('error', 'approval.toast.onlyApprovers', { names: r.approverNames });
    }
    const name = ctx.sender.name ?? (await displayName(ctx.gateway.directory, me));
    const done = await decide(
      id,
      to,
      { openId: me, name },
      {
        waitMs: CLICK_WAIT_MS,
        ...(reason ? { reason } : {}),
        ...(ctx.messageId ? { except: ctx.messageId } : {}),
        eventId: ctx.eventId,
      },
    );
    if (done.state === 'busy') return BUSY;
    if (done.state === 'gone') return GONE;
    if (done.state === 'unchanged') {
      const status = APPROVAL_STATUS_TEXT[isExpired(done.record, now()) ? 'expired' : done.record.status];
      const decision = done.record.decision;
      return {
        ...(decision
          ? toast('info', 'approval.toast.alreadyBy', { status, name: decision.name })
          : toast('info', 'approval.toast.already', { status })),
        card: decidedCard(done.record, openParked(deps.sealer, done.record)),
      };
    }
    const said: Record<string, ActionResult> = {
      approved: toast('success', 'approval.toast.approved'),
      rejected: toast('success', 'approval.toast.rejected'),
      withdrawn: toast('success', 'approval.toast.withdrawn'),
      expired: toast('warning', 'approval.toast.expired'),
    };
    return { ...said[done.record.status], card: done.card };
  }

  app.action(approveAction, (ctx, { request }) => click(ctx, request, 'approved'));
  app.action(rejectAction, (ctx, { request, reason }) => click(ctx, request, 'rejected', reason?.trim() || undefined));
  app.action(withdrawAction, (ctx, { request }) => click(ctx, request, 'withdrawn'));

  /** From the inbox, once per approved request: run it as the requester, then every card says how it went. */
  app.event(APPROVAL_APPROVED, async (ctx, { request }) => {
    const started = await change(deps.store, request, INBOX_WAIT_MS, (r) =>
      r.status === 'approved' ? { status: 'running' } : undefined,
    );
    // Busy: another worker holds the lock; failing sends the item back to the inbox, which tries again.
    if (started.state === 'busy') throw new Error(`approval request ${request} is locked; trying again`);
    // Running already: the inbox runs this item again after a crash mid-run; the run's effects are keyed to it.
    if (started.state === 'gone' || started.record.status !== 'running')
      return void ctx.logger.info({ request }, 'approval request not waiting to run (ran already, or gone)');
    const r = started.record;
    const outcome = await run(ctx, r);
    await deps.store.audit({
      at: now(),
      actor: r.requester.openId,
      action: 'approval.run',
      target: r.rule,
      result: outcome === 'ok' ? 'ok' : outcome === 'refused' ? 'refused' : 'error',
      detail: `request ${request} approved by ${r.decision?.by ?? '?'} (${outcome})`,
      eventId: ctx.eventId,
    });
    await change(
      deps.store,
      request,
      INBOX_WAIT_MS,
      (x) => (x.status === 'running' ? { status: 'done', outcome } : undefined),
      (x) => showDecision(env, x).then(() => undefined),
    );
  });

  async function run(ctx: EventContext, r: RequestRecord): Promise<Outcome> {
    const parked = openParked(deps.sealer, r);
    if (!parked) {
      ctx.logger.error({ request: r.id }, 'an approved request cannot be read (another TOKEN_ENCRYPTION_KEY?)');
      return 'invalid';
    }
    const as = {
      openId: r.requester.openId,
      name: r.requester.name,
      ...(r.chatId ? { chatId: r.chatId } : {}),
      ...(r.chatType ? { chatType: r.chatType } : {}),
    };
    const origin: RunOrigin = {
      id: ctx.eventId,
      type: ctx.eventType,
      dedupeKey: `${ctx.dedupeKey}/run`,
      finalAttempt: ctx.finalAttempt,
    };
    if (parked.kind === 'command') return app.resume({ ...parked.command, approval: r.id }, as, origin);
    const { outcome, result } = await app.resumeAction({ ...parked.action, approval: r.id }, as, origin);
    // The click was answered long ago: its answer replaces the card that was clicked.
    if (result?.card && parked.action.messageId) await ctx.gateway.im.patchCard(parked.action.messageId, result.card);
    return outcome;
  }

  /** Native mode: Feishu Approval decided (or dropped) the instance of a request. */
  const onInstance = async (ctx: EventContext, e: FeishuEvents[typeof APPROVAL_INSTANCE_CHANGED]) => {
    const to: Decision | undefined =
      e.status === 'APPROVED'
        ? 'approved'
        : e.status === 'REJECTED'
          ? 'rejected'
          : e.status === 'CANCELED' || e.status === 'DELETED'
            ? 'withdrawn'
            : undefined;
    const id = to && (await instances.get(deps.store, e.instance_code));
    if (!to || !id)
      return void ctx.logger.debug(
        { instance: e.instance_code, status: e.status },
        'approval event not ours to act on',
      );
    const r = await requests.get(deps.store, id);
    if (!r) return;
    let by = { openId: r.requester.openId, name: r.requester.name };
    let reason: string | undefined;
    if (to !== 'withdrawn') {
      const instance = await ctx.gateway.approvals.getInstance(e.instance_code);
      const task = instance.tasks.find((t) => t.status === (to === 'approved' ? 'APPROVED' : 'REJECTED'));
      const openId = task?.openId ?? 'unknown';
      by = { openId, name: task?.openId ? await displayName(ctx.gateway.directory, task.openId) : 'Feishu' };
      reason = instance.comments.at(-1)?.comment;
      if (to === 'approved' && openId === r.requester.openId) {
        await ctx.audit('approval.approve', r.rule, 'refused', `${id}: approved by the requester`);
        return void ctx.logger.warn({ request: id }, 'the requester approved their own request in Feishu; not run');
      }
    }
    await decide(id, to, by, {
      waitMs: INBOX_WAIT_MS,
      ...(reason ? { reason } : {}),
      eventId: ctx.eventId,
      fromFeishu: true,
    });
  };
  app.event(APPROVAL_INSTANCE_CHANGED, onInstance);
  app.event(APPROVAL_INSTANCE_V1, onInstance);

  registerApprovalList(app, deps, approvesNow);

  return {
    /** Expires what waited too long (saying so on its cards) and puts approved requests that never ran into the inbox. */
    async sweep() {
      const at = now();
      for (const r of await listed(deps.store, await openRequests.list(deps.store, 'all', 500))) {
        if (isExpired(r, at)) await decide(r.id, 'expired', { openId: 'system', name: 'system' }, { waitMs: 0 });
        else if (r.status === 'approved') await deps.enqueue(approvedDelivery(r.id, at));
      }
    },
  };
}
