/**
 * Who may run what, from app.config.json: `commands[<key>].allow` lists "everyone", "admins", "role:<name>" or
 * open_ids. The key is the command ("group create", falling back to "group") or the card action ("draft.send").
 * Keys without an entry are open to everyone (or to `fallback`, for rules inside a command that default closed);
 * admins may run everything.
 */
import { errorCard } from '../../cards/index.js';

import type { AppConfig } from '../config.js';
import type { Target } from '../context.js';
import { displayName } from '../feishu/directory-cache.js';
import type { DirectoryPort } from '../feishu/ports.js';
import { andList, same, t, type Text } from '../i18n.js';
import type { Middleware } from './compose.js';

/** Refused: `allow` is who may, `rule` the `commands` key that decided (the target's own when none is configured). */
export type Permission = { ok: true } | { ok: false; allow: readonly string[]; rule: string };

export function permission(
  app: AppConfig,
  target: Target,
  openId: string | undefined,
  fallback: readonly string[] = ['everyone'],
): Permission {
  const family = target.kind === 'command' ? target.key.split(' ')[0]! : undefined;
  // The entry that says who may run it: the command's own `allow`, else its family's (an entry may hold only `approve`).
  const key =
    app.commands[target.key]?.allow || family === undefined || !app.commands[family]?.allow ? target.key : family;
  const allow = app.commands[key]?.allow ?? fallback;
  if (allow.includes('everyone')) return { ok: true };
  if (openId === undefined) return { ok: false, allow, rule: key };
  const admin = app.admins.includes(openId);
  return admin || allow.some((p) => isPrincipal(app, p, openId)) ? { ok: true } : { ok: false, allow, rule: key };
}

/** A field of the target's rule: the command's own entry, else its family's ("group" for "group create"). */
export function ruleOf(app: AppConfig, target: Target, field: 'allow' | 'approve'): readonly string[] | undefined {
  const family = target.kind === 'command' ? app.commands[target.key.split(' ')[0]!] : undefined;
  return app.commands[target.key]?.[field] ?? family?.[field];
}

/** Whether `openId` is the principal `p` names ("admins", "role:<name>", an open_id). */
export function isPrincipal(app: AppConfig, p: string, openId: string): boolean {
  if (p === 'everyone') return true;
  if (p === 'admins') return app.admins.includes(openId);
  if (p.startsWith('role:')) return (app.roles[p.slice(5)] ?? []).includes(openId);
  return p === openId;
}

/** Who a principal is, by name: open_ids are looked up in the directory. */
export async function describePrincipal(p: string, directory: DirectoryPort): Promise<Text> {
  if (p === 'admins') return t('errors.principal.admins');
  if (p === 'everyone') return t('errors.principal.everyone');
  if (p.startsWith('role:')) return t('errors.principal.role', { role: p.slice(5) });
  return same(await displayName(directory, p));
}

/**
 * The app.config.json line under `commands` that would let `openId` through `rule`: its allow list with them added
 * ("onboard": { "allow": ["admins", "ou_…"] }).
 */
export const allowLine = (rule: string, allow: readonly string[], openId: string): string =>
  `${JSON.stringify(rule)}: { "allow": [${[...allow, openId].map((p) => JSON.stringify(p)).join(', ')}] }`;

export interface Refusal {
  /** "Only admins may run /group add", or the caller's own sentence for a rule inside a command. */
  problem: Text;
  nextStep: Text;
  toast: Text;
  /** The line under `commands` in app.config.json that would allow the refused person. */
  configLine?: string;
}

/**
 * Why a rule refuses, and who can help, with people by name. `what`: the refused thing as a person reads it
 * ("/group add", "mailbox=someone else's"). `refused`: who asked and the `commands` key that refused them, for the
 * line that would let them in.
 */
export async function explainRefusal(
  app: AppConfig,
  directory: DirectoryPort,
  what: string | Text,
  allow: readonly string[],
  refused?: { openId: string; rule: string },
): Promise<Refusal> {
  const who = andList(await Promise.all(allow.map((p) => describePrincipal(p, directory))));
  const names = await Promise.all(app.admins.map((a) => displayName(directory, a)));
  const vars = { who, what: typeof what === 'string' ? what : what };
  const openId = refused?.openId ?? '';
  const nextStep = names.length
    ? t(refused ? 'errors.notAllowed.askAdminForLine' : 'errors.notAllowed.askAdmin', {
        admins: andList(names),
        openId,
      })
    : t(refused ? 'errors.notAllowed.noAdminsForLine' : 'errors.notAllowed.noAdmins', { openId });
  return {
    problem: t('errors.notAllowed.problem', vars),
    toast: t('errors.notAllowed.toast', vars),
    nextStep,
    ...(refused ? { configLine: allowLine(refused.rule, allow, refused.openId) } : {}),
  };
}

export const refusalCard = (r: Refusal) =>
  errorCard({
    title: t('errors.notAllowed.title'),
    problems: [r.problem],
    nextStep: r.nextStep,
    ...(r.configLine ? { example: r.configLine, exampleLabel: same('app.config.json → commands') } : {}),
  });

/**
 * Commands and card actions alike, before any handler runs. A refused click is answered with a toast only: the
 * card it was clicked on stays as it is.
 */
export const authorize: Middleware = async (ctx, next) => {
  if (ctx.target) {
    const verdict = permission(ctx.config.app, ctx.target, ctx.sender?.openId, ctx.target.fallback);
    if (!verdict.ok) {
      ctx.outcome = 'refused';
      ctx.logger.info({ sender: ctx.sender?.openId, allow: verdict.allow }, 'refused: not allowed');
      await ctx.audit(`${ctx.kind === 'action' ? 'action' : ctx.target.kind}.refused`, ctx.target.key, 'refused');
      const what = ctx.target.kind === 'command' ? `/${ctx.target.key}` : ctx.target.key;
      const refused = ctx.sender && { openId: ctx.sender.openId, rule: verdict.rule };
      const refusal = await explainRefusal(ctx.config.app, ctx.gateway.directory, what, verdict.allow, refused);
      if (ctx.kind === 'action') ctx.result = { toast: { type: 'error', text: refusal.toast } };
      else await ctx.reply(refusalCard(refusal));
      return;
    }
  }
  await next();
};
