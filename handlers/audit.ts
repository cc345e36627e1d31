/**
 * /audit [@user] [since=7d] [kind]: who did what, when and with what outcome, newest first, from the audit trail,
 * with Undo on the changes that can still be taken back. Admins only unless app.config.json `commands.audit` says
 * otherwise: the trail names everyone's actions.
 */
import { z } from 'zod';
import { auditCard, MAX_AUDIT_ROWS, type AuditRow, type Card } from '../cards/index.js';
import type { App } from '../src/app.js';
import { recentChanges, undoable, type Change } from '../src/changes/journal.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import type { CommandContext } from '../src/context.js';
import { displayName } from '../src/feishu/directory-cache.js';
import { t, type Text } from '../src/i18n.js';
import { userRef } from './provision.js';
import { utcTime } from './sign-in.js';
import { undoButton } from './undo.js';

const UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const args = z.object({
  user: z.array(userRef).max(1, msg('audit.args.onePerson')).optional().describe(msg('audit.args.user')),
  since: z
    .string()
    .regex(/^\d{1,4}[mhd]$/, msg('audit.args.duration'))
    .default('7d')
    .describe(msg('audit.args.since')),
  kind: z.string().min(1).optional().describe(msg('audit.args.kind')),
});

export const auditSpec: CommandSpec<typeof args> = {
  summary: t('audit.summary'),
  usage: '/audit [@某人] [since=7d] [类型 kind]',
  examples: ['/audit since=24h chat', '/audit'],
  args,
  positionals: ['kind'],
  mentions: 'user',
  allow: ['admins'],
};

/** How far back the trail is read: enough for a busy week of a large tenant, bounded for the card. */
const READ = 2_000;

const stateOf = (c: Change): Text | undefined =>
  c.undone ? t('audit.undone') : c.steps.some((s) => s.state === 'done') ? t('audit.partlyUndone') : undefined;

async function audit(ctx: CommandContext, a: z.infer<typeof args>): Promise<Card> {
  const who = a.user?.[0];
  const unit = a.since.slice(-1) as keyof typeof UNITS;
  const from = ctx.now() - Number(a.since.slice(0, -1)) * UNITS[unit];
  const matching = (await ctx.store.auditLog(READ)).filter(
    (r) => r.at >= from && (!who || r.actor === who.openId) && (!a.kind || r.action.includes(a.kind)),
  );
  const changes = await recentChanges(ctx.store, { ...(who ? { actor: who.openId } : {}), limit: READ });
  const changeOf = new Map(changes.map((c) => [`${c.eventId}|${c.kind}`, c]));
  const window = ctx.config.app.undo.windowHours;
  const shown = matching.slice(0, MAX_AUDIT_ROWS);
  const rows = await Promise.all(
    shown.map(async (r): Promise<AuditRow> => {
      const change = r.result === 'ok' ? changeOf.get(`${r.eventId}|${r.action}`) : undefined;
      const state = change && stateOf(change);
      return {
        when: utcTime(r.at),
        who: r.actor === 'system' ? 'system' : await displayName(ctx.gateway.directory, r.actor),
        action: r.action,
        target: r.target,
        result: r.result,
        ...(r.detail ? { detail: r.detail } : {}),
        ...(state ? { state } : {}),
        ...(change && undoable(change, window, ctx.now()) ? { undo: undoButton(change.id)[0] } : {}),
      };
    }),
  );
  const scope = [who ? who.name : undefined, `since=${a.since}`, a.kind].filter(Boolean).join(' ');
  return auditCard({
    scope: t('audit.scope', { scope }),
    rows,
    more: matching.length - shown.length,
  });
}

export function registerAudit(app: App): void {
  app.command('audit', auditSpec, audit);
}
