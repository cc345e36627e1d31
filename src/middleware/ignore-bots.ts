import type { Middleware } from './compose.js';

/** Messages from bots — this one included — never run commands: two bots answering each other would loop. */
export const ignoreBots: Middleware = async (ctx, next) => {
  const fromBot = (ctx.senderType !== undefined && ctx.senderType !== 'user') || ctx.sender?.openId === ctx.botOpenId;
  if (ctx.kind === 'message' && fromBot) {
    ctx.outcome = 'ignored';
    ctx.logger.debug({ senderType: ctx.senderType }, 'ignored a message from a bot');
    return;
  }
  await next();
};
