/**
 * What the mail handlers share about signing in: the port onto the OAuth sign-in and the token vault, and the
 * sign-in card that carries the command to resume once the user has consented.
 */
import { signInCard, type Card } from '../cards/index.js';
import type { SignInRequest, StartedSignIn } from '../src/auth/oauth.js';
import type { SessionStatus } from '../src/auth/vault.js';
import { t, type MessageKey } from '../src/i18n.js';
import type { Ctx } from './provision.js';

export { needsSignIn } from '../src/feishu/errors.js';

/** The sign-in flow and the vault as handlers see them (src/bot.ts assembles the real ones). */
export interface MailAuth {
  status(openId: string): Promise<SessionStatus>;
  start(request: SignInRequest): Promise<StartedSignIn>;
  forget(openId: string): Promise<void>;
  /** Minutes a sign-in link stays valid. */
  readonly validMinutes: number;
}

/** Why a stored sign-in no longer works (`NeedsSignIn.reason`), as the card says it. */
const REASONS: Record<string, MessageKey> = {
  session_expired: 'login.reason.sessionExpired',
  refresh_rejected: 'login.reason.refreshRejected',
  unreadable: 'login.reason.unreadable',
};

/**
 * A fresh sign-in link for the asker. `resume`: the arguments this command's handler got, recorded (sealed) with the
 * sign-in before the card is sent, so the command runs again from them, once, after consent, even across a restart.
 */
export async function signInFor(ctx: Ctx, auth: MailAuth, resume?: object, err?: unknown): Promise<Card> {
  const command = resume && ctx.kind === 'message' ? ctx.target?.key : undefined;
  const started = await auth.start({
    openId: ctx.sender.openId,
    ...(ctx.chatId ? { chatId: ctx.chatId } : {}),
    ...(command
      ? {
          resume: {
            command,
            args: { ...resume },
            ...(ctx.text !== undefined ? { text: ctx.text } : {}),
            ...(ctx.messageId ? { messageId: ctx.messageId } : {}),
            ...(ctx.approval ? { approval: ctx.approval } : {}),
          },
        }
      : {}),
  });
  const reason = REASONS[String((err as { reason?: unknown } | undefined)?.reason)];
  // What the person typed, shown (escaped) so they know what will run; it is not what runs.
  const line = ctx.text?.split('\n')[0]?.trim();
  const shown = command ? (line ? clip(line, 200) : `/${command}`) : undefined;
  return signInCard({
    url: started.url,
    validMinutes: auth.validMinutes,
    ...(shown ? { resume: shown } : {}),
    ...(reason ? { reason: t(reason) } : {}),
  });
}

const clip = (s: string, max: number) => ([...s].length > max ? `${[...s].slice(0, max).join('')} …` : s);

/** "2026-11-29 10:00 UTC": one clock for everyone reading the card. */
export const utcTime = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
