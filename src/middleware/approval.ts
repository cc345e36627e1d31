/**
 * The approval gate: a command whose rule in app.config.json has `approve` (`commands.<name>.approve: ["admins" |
 * "role:<name>" | open_id …]`, on the command or its family) does not run for a requester who is not an approver;
 * it is parked instead: recorded (sealed), the approvers asked, and run as the requester once one approves. A request
 * by an approver runs at once, unless `approvals.twoPersonRule` says another approver must approve it too. Card
 * buttons that follow a command pass the same gate (the app puts it before their listeners as well).
 *
 *   app.gate(approvalGate(desk));   // desk: handlers/approvals.ts records, asks and resumes
 *
 * A run the app resumes once approved carries the request's id (`ctx.approval`); the gate lets it through only when
 * the desk confirms that request is approved for this requester and this command.
 */
import type { Gate } from '../app.js';
import type { AppConfig } from '../config.js';
import type { ActionContext, ActionResult, CommandContext } from '../context.js';
import { t } from '../i18n.js';
import { isPrincipal, ruleOf } from './authorize.js';

/** What a request needs approved: the rule's key (the command) and who may approve it. */
export interface ApprovalRule {
  key: string;
  approve: readonly string[];
}

/** Where parked requests go (handlers/approvals.ts). */
export interface ApprovalDesk {
  /** Records the command or click and asks the approvers; a click is answered with the result. */
  park(
    ctx: CommandContext | ActionContext,
    args: object,
    rule: ApprovalRule,
    action?: string,
  ): Promise<ActionResult | void>;
  /** Whether the run carries an approved request of this requester for this rule (or for the whole command). */
  carries(ctx: CommandContext | ActionContext, rule: ApprovalRule): Promise<boolean>;
}

/** Who must approve the target, if anyone. */
export function approvalRule(app: AppConfig, key: string): ApprovalRule | undefined {
  const approve = ruleOf(app, { kind: 'command', key }, 'approve');
  return approve ? { key, approve } : undefined;
}

export const isApprover = (app: AppConfig, rule: ApprovalRule, openId: string): boolean =>
  rule.approve.some((p) => isPrincipal(app, p, openId));

/** The open_ids the rule names (admins and role members expanded), in configured order, without repeats. */
export function approverIds(app: AppConfig, rule: ApprovalRule): string[] {
  const ids = rule.approve.flatMap((p) =>
    p === 'admins' ? app.admins : p.startsWith('role:') ? (app.roles[p.slice(5)] ?? []) : [p],
  );
  return [...new Set(ids)];
}

/** Let through, park, or refuse (a run that claims an approval it does not have). */
async function verdict(
  desk: ApprovalDesk,
  ctx: CommandContext | ActionContext,
  key: string | undefined,
): Promise<{ kind: 'pass' } | { kind: 'refuse' } | { kind: 'park'; rule: ApprovalRule }> {
  const rule = key === undefined ? undefined : approvalRule(ctx.config.app, key);
  if (!rule) return { kind: 'pass' };
  if (ctx.approval !== undefined) {
    if (await desk.carries(ctx, rule)) return { kind: 'pass' };
    ctx.outcome = 'refused';
    ctx.logger.warn({ request: ctx.approval }, 'a resumed run names an approval request that does not approve it');
    return { kind: 'refuse' };
  }
  if (isApprover(ctx.config.app, rule, ctx.sender.openId) && !ctx.config.app.approvals.twoPersonRule) {
    await ctx.audit('approval.self', rule.key, 'ok', 'run by an approver');
    return { kind: 'pass' };
  }
  return { kind: 'park', rule };
}

const REFUSED: ActionResult = { toast: { type: 'error', text: t('approval.toast.invalid') } };

export function approvalGate(desk: ApprovalDesk): Gate {
  return {
    // A parked command has answered with the waiting card; the command itself answers nothing.
    async command(ctx, args, next, rule) {
      const v = await verdict(desk, ctx, rule ?? ctx.target?.key);
      if (v.kind === 'pass') return next();
      if (v.kind === 'park') await desk.park(ctx, args, v.rule);
      return undefined;
    },
    async action(ctx, args, next, action) {
      const v = await verdict(desk, ctx, ctx.target?.key);
      if (v.kind === 'pass') return next();
      return v.kind === 'park' ? desk.park(ctx, args, v.rule, action) : REFUSED;
    },
  };
}
