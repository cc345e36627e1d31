/**
 * Who may run what, from app.config.json: `commands[<key>].allow` lists "everyone", "admins", "role:<name>" or
 * open_ids. The key is the command ("group create", falling back to "group") or the card action ("draft.send").
 * Keys without an entry are open to everyone; admins may run everything.
 */
import { errorCard, type Bilingual } from '../../cards/index.js';
import type { AppConfig } from '../config.js';
import type { Target } from '../context.js';
import type { Middleware } from './compose.js';

export type Permission = { ok: true } | { ok: false; allow: readonly string[] };

export function permission(app: AppConfig, target: Target, openId: string | undefined): Permission {
  const rule = app.commands[target.key] ?? (target.kind === 'command' ? app.commands[target.key.split(' ')[0]!] : undefined);
  if (!rule || rule.allow.includes('everyone')) return { ok: true };
  if (openId === undefined) return { ok: false, allow: rule.allow };
  const admin = app.admins.includes(openId);
  const ok = admin || rule.allow.some((p) =>
    p === 'admins' ? admin : p.startsWith('role:') ? (app.roles[p.slice(5)] ?? []).includes(openId) : p === openId);
  return ok ? { ok: true } : { ok: false, allow: rule.allow };
}

const describePrincipal = (p: string): Bilingual =>
  p === 'admins' ? { zh: '管理员', en: 'admins' }
  : p.startsWith('role:') ? { zh: `角色 ${p.slice(5)} 的成员`, en: `members of role ${p.slice(5)}` }
  : { zh: p, en: p };

export function refusalCard(app: AppConfig, target: Target, allow: readonly string[]) {
  const who = allow.map(describePrincipal);
  const name = target.kind === 'command' ? `/${target.key}` : target.key;
  const admins = app.admins.join(', ');
  return errorCard({
    title: { zh: '没有权限', en: 'Not allowed' },
    problems: [{
      zh: `只有${who.map((w) => w.zh).join('、')}可以运行 ${name}`,
      en: `Only ${who.map((w) => w.en).join(', ')} may run ${name}`,
    }],
    nextStep: admins
      ? { zh: `需要权限请联系管理员：${admins}`, en: `To get access, ask an admin: ${admins}` }
      : { zh: '还没有配置管理员：请在 app.config.json 的 admins 中添加', en: 'No admins are configured yet: add them to admins in app.config.json' },
  });
}

export const authorize: Middleware = async (ctx, next) => {
  if (ctx.target) {
    const verdict = permission(ctx.config.app, ctx.target, ctx.sender?.openId);
    if (!verdict.ok) {
      ctx.outcome = 'refused';
      ctx.logger.info({ sender: ctx.sender?.openId, allow: verdict.allow }, 'refused: not allowed');
      await ctx.audit(`${ctx.target.kind}.refused`, ctx.target.key, 'refused');
      await ctx.answer(refusalCard(ctx.config.app, ctx.target, verdict.allow), {
        type: 'error',
        text: { zh: '没有权限', en: 'Not allowed' },
      });
      return;
    }
  }
  await next();
};
