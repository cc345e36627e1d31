/**
 * /whoami: who the bot sees you as (open_id, user_id and union_id, from the directory), what app.config.json lets
 * you run (the same `permission` the app checks every command with), and whether the bot may act as you (signed
 * in). The open_id is what `admins`, `roles` and `commands.<name>.allow` take: this is where a new admin finds theirs.
 */
import { z } from 'zod';
import { whoamiCard, type WhoamiCardInput } from '../cards/index.js';
import type { App } from '../src/app.js';
import { commandKey } from '../src/commands/registry.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { CommandContext } from '../src/context.js';
import { isUserOutOfReach } from '../src/feishu/errors.js';
import type { FeishuUser } from '../src/feishu/ports.js';
import { andList, t } from '../src/i18n.js';
import { describePrincipal, permission } from '../src/middleware/authorize.js';
import { utcTime, type MailAuth } from './sign-in.js';

const none = z.object({});

export const whoamiSpec: CommandSpec<typeof none> = {
  summary: t('whoami.summary'),
  usage: '/whoami',
  examples: ['/whoami'],
  args: none,
};

/** The directory's entry, or undefined when the person is outside the app's contact scope. */
async function lookUp(ctx: CommandContext): Promise<FeishuUser | undefined> {
  try {
    return await ctx.gateway.directory.getUser(ctx.sender.openId);
  } catch (err) {
    if (isUserOutOfReach(err)) return undefined;
    throw err;
  }
}

export function registerWhoami(app: App, auth?: MailAuth): void {
  app.command('whoami', whoamiSpec, async (ctx) => {
    const { openId } = ctx.sender;
    const config = ctx.config.app;
    const [user, session] = await Promise.all([lookUp(ctx), auth?.status(openId)]);
    const userId = user ? user.userId : ctx.sender.userId;
    const unionId = user ? user.unionId : ctx.sender.unionId;
    const name = user?.name || ctx.sender.name;
    const allowed: string[] = [];
    const refused: WhoamiCardInput['refused'] = [];
    for (const key of app.commands().map(commandKey)) {
      const verdict = permission(config, { kind: 'command', key }, openId);
      if (verdict.ok) allowed.push(`/${key}`);
      else {
        const who = await Promise.all(verdict.allow.map((p) => describePrincipal(p, ctx.gateway.directory)));
        refused.push({ command: `/${key}`, allow: andList(who) });
      }
    }
    await ctx.reply(
      whoamiCard({
        ...(name ? { name } : {}),
        ids: [
          { label: 'open_id', value: openId },
          { label: 'user_id', ...(userId ? { value: userId } : {}) },
          { label: 'union_id', ...(unionId ? { value: unionId } : {}) },
        ],
        ...(!user ? { idsNote: t('whoami.outOfScope') } : !userId ? { idsNote: t('whoami.noUserId') } : {}),
        admin: config.admins.includes(openId),
        roles: Object.entries(config.roles).flatMap(([role, ids]) => (ids.includes(openId) ? [role] : [])),
        allowed,
        refused,
        signIn: !session
          ? undefined
          : session.signedIn
            ? {
                signedIn: true,
                until: utcTime(session.until),
                ...(session.mailbox ? { mailbox: session.mailbox } : {}),
              }
            : { signedIn: false },
      }),
    );
  });
}
