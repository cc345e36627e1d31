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
export async function describePrincipal(p: string, directory: DirectoryPort): Promise<Bilingual> {
  if (p === 'admins') return { zh: '管理员', en: 'admins' };
  if (p === 'everyone') return { zh: '所有人', en: 'everyone' };
  if (p.startsWith('role:')) return { zh: `角色 ${p.slice(5)} 的成员`, en: `members of role ${p.slice(5)}` };
  const name = await displayName(directory, p);
  return { zh: name, en: name };
}

/**
 * The app.config.json line under `commands` that would let `openId` through `rule`: its allow list with them added
 * ("onboard": { "allow": ["admins", "ou_…"] }).
 */
export const allowLine = (rule: string, allow: readonly string[], openId: string): string =>
  `${JSON.stringify(rule)}: { "allow": [${[...allow, openId].map((p) => JSON.stringify(p)).join(', ')}] }`;

export interface Refusal {
  /** "Only admins may run /group add", or the caller's own sentence for a rule inside a command. */
  problem: Bilingual;
  nextStep: Bilingual;
  toast: Bilingual;
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
  what: string,
  allow: readonly string[],
  refused?: { openId: string; rule: string },
): Promise<Refusal> {
  const who = await Promise.all(allow.map((p) => describePrincipal(p, directory)));
  const admins = (await Promise.all(app.admins.map((a) => displayName(directory, a)))).join('、');
  const whoZh = who.map((w) => w.zh).join('、');
  const whoEn = who.map((w) => w.en).join(', ');
  const where = refused
    ? {
        zh: `。你的 open_id 是 ${refused.openId}，写入 app.config.json 的 commands 的下面这一行可让你运行`,
        en: `. Your open_id is ${refused.openId}; the line below, under "commands" in app.config.json, lets you in`,
      }
    : { zh: '', en: '' };
  return {
    problem: { zh: `只有${whoZh}可以运行 ${what}`, en: `Only ${whoEn} may run ${what}` },
    toast: { zh: `没有权限：只有${whoZh}可以运行 ${what}`, en: `Not allowed: only ${whoEn} may run ${what}` },
    nextStep: admins
      ? { zh: `需要权限请联系管理员：${admins}${where.zh}`, en: `To get access, ask an admin: ${admins}${where.en}` }
      : {
          zh: `还没有配置管理员：请在 app.config.json 的 admins 中添加${where.zh}`,
          en: `No admins are configured yet: add them to admins in app.config.json${where.en}`,
        },
    ...(refused ? { configLine: allowLine(refused.rule, allow, refused.openId) } : {}),
  };
}

export const refusalCard = (r: Refusal) =>
  errorCard({
    title: { zh: '没有权限', en: 'Not allowed' },
    problems: [r.problem],
    nextStep: r.nextStep,
    ...(r.configLine
      ? {
          example: r.configLine,
          exampleLabel: { zh: 'app.config.json → commands', en: 'app.config.json → commands' },
        }
      : {}),
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
