/**
 * /login: a sign-in card whose button opens Feishu's consent page (OAuth with PKCE, a single-use state bound to
 * the asker), or, when signed in already, who the bot acts as and until when. /logout forgets the tokens.
 */
import { z } from 'zod';
import { signedInCard, successCard } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { CommandSpec } from '../src/commands/spec.js';
import { t } from '../src/i18n.js';
import { audited } from '../src/middleware/audited.js';
import { signInFor, utcTime, type MailAuth } from './sign-in.js';

const none = z.object({});

export const loginSpec: CommandSpec<typeof none> = {
  summary: t('login.summary'),
  usage: '/login',
  examples: ['/login'],
  args: none,
};

export const logoutSpec: CommandSpec<typeof none> = {
  summary: t('login.logoutSummary'),
  usage: '/logout',
  examples: ['/logout'],
  args: none,
};

export function registerLogin(app: App, auth: MailAuth): void {
  app.command('login', loginSpec, async (ctx) => {
    const status = await auth.status(ctx.sender.openId);
    await ctx.reply(
      status.signedIn
        ? signedInCard({
            name: status.name,
            ...(status.mailbox ? { mailbox: status.mailbox } : {}),
            until: utcTime(status.until),
          })
        : await signInFor(ctx, auth),
    );
  });

  app.command(
    'logout',
    logoutSpec,
    audited('auth.logout', (_, ctx) => ctx.sender.openId),
    async (ctx) => {
      await auth.forget(ctx.sender.openId);
      await ctx.reply(
        successCard({
          title: t('login.signedOut'),
          summary: t('login.signedOutSummary'),
        }),
      );
    },
  );
}
