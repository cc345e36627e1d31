/**
 * /login: a sign-in card whose button opens Feishu's consent page (OAuth with PKCE, a single-use state bound to
 * the asker), or, when signed in already, who the bot acts as and until when. /logout forgets the tokens.
 */
import { z } from 'zod';
import { signedInCard, successCard } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { CommandSpec } from '../src/commands/spec.js';
import { audited } from '../src/middleware/audited.js';
import { signInFor, utcTime, type MailAuth } from './sign-in.js';

const none = z.object({});

export const loginSpec: CommandSpec<typeof none> = {
  summary: {
    zh: '登录，允许机器人以你的身份保存草稿和发送邮件',
    en: 'Sign in so the bot can save drafts and send mail as you',
  },
  usage: '/login',
  examples: ['/login'],
  args: none,
};

export const logoutSpec: CommandSpec<typeof none> = {
  summary: { zh: '退出登录，删除机器人保存的你的授权', en: 'Sign out: the bot forgets your authorisation' },
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
          title: { zh: '已退出登录', en: 'Signed out' },
          summary: {
            zh: '机器人已删除你的授权，不会再以你的身份操作邮箱。',
            en: 'The bot deleted your authorisation and will no longer act on your mailbox.',
          },
        }),
      );
    },
  );
}
