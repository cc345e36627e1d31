/**
 * Who may run what, from app.config.json: `commands[<key>].allow` lists "everyone", "admins", "role:<name>" or
 * open_ids. The key is the command ("group create", falling back to "group") or the card action ("draft.send").
 * Keys without an entry are open to everyone (or to `fallback`, for rules inside a command that default closed);
 * admins may run everything.
 */
import { errorCard, type Bilingual } from '../../cards/index.js';
import type { AppConfig } from '../config.js';
import type { Target } from '../context.js';
import { displayName } from '../feishu/directory-cache.js';
import type { DirectoryPort } from '../feishu/ports.js';
import type { Middleware } from './compose.js';

export type Permission = { ok: true } | { ok: false; allow: readonly string[] };

export function permission(
  app: AppConfig,
  target: Target,
  openId: string | undefined,
  fallback: readonly string[] = ['everyone'],
): Permission {
  const rule = app.commands[target.key] ??
    (target.kind === 'command' ? app.commands[target.key.split(' ')[0]!] : undefined) ?? { allow: fallback };
  if (rule.allow.includes('everyone')) return { ok: true };
  if (openId === undefined) return { ok: false, allow: rule.allow };
  const admin = app.admins.includes(openId);
  const ok =
    admin ||
    rule.allow.some((p) =>
      p === 'admins' ? admin : p.startsWith('role:') ? (app.roles[p.slice(5)] ?? []).includes(openId) : p === openId,
    );
  return ok ? { ok: true } : { ok: false, allow: rule.allow };
}

/** Who a principal is, by name: open_ids are looked up in the directory. */
async function describePrincipal(p: string, directory: DirectoryPort): Promise<Bilingual> {
  if (p === 'admins') return { zh: '管理员', en: 'admins' };
  if (p === 'everyone') return { zh: '所有人', en: 'everyone' };
  if (p.startsWith('role:')) return { zh: `角色 ${p.slice(5)} 的成员`, en: `members of role ${p.slice(5)}` };
  const name = await displayName(directory, p);
  return { zh: name, en: name };
}

export interface Refusal {
  /** "Only admins may run /group add", or the caller's own sentence for a rule inside a command. */
  problem: Bilingual;
  nextStep: Bilingual;
  toast: Bilingual;
}

/**
 * Why a rule refuses, and who can help, with people by name. `what`: the refused thing as a person reads it
 * ("/group add", "mailbox=someone else's").
 */
export async function explainRefusal(
  app: AppConfig,
  directory: DirectoryPort,
  what: string,
  allow: readonly string[],
): Promise<Refusal> {
  const who = await Promise.all(allow.map((p) => describePrincipal(p, directory)));
  const admins = (await Promise.all(app.admins.map((a) => displayName(directory, a)))).join('、');
  const whoZh = who.map((w) => w.zh).join('、');
  const whoEn = who.map((w) => w.en).join(', ');
  return {
    problem: { zh: `只有${whoZh}可以运行 ${what}`, en: `Only ${whoEn} may run ${what}` },
    toast: { zh: `没有权限：只有${whoZh}可以运行 ${what}`, en: `Not allowed: only ${whoEn} may run ${what}` },
    nextStep: admins
      ? { zh: `需要权限请联系管理员：${admins}`, en: `To get access, ask an admin: ${admins}` }
      : {
          zh: '还没有配置管理员：请在 app.config.json 的 admins 中添加',
          en: 'No admins are configured yet: add them to admins in app.config.json',
        },
  };
}

export const refusalCard = (r: Refusal) =>
  errorCard({ title: { zh: '没有权限', en: 'Not allowed' }, problems: [r.problem], nextStep: r.nextStep });

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
      const refusal = await explainRefusal(ctx.config.app, ctx.gateway.directory, what, verdict.allow);
      if (ctx.kind === 'action') ctx.result = { toast: { type: 'error', text: refusal.toast } };
      else await ctx.reply(refusalCard(refusal));
      return;
    }
  }
  await next();
};
