/**
 * A stand-in for the user token vault (the mail issue brings the real one, with OAuth refresh and encryption):
 * tokens come from the emulator's own token state, so the emulator accepts or refuses them as Feishu would.
 */
import type { Emulator } from '../../src/emulator/index.js';
import type { UserTokenProvider } from '../../src/feishu/index.js';

export class EmulatorUserTokens implements UserTokenProvider {
  /** Each refresh, as the open_id and the token Feishu had rejected. */
  readonly refreshes: { openId: string; rejected: string }[] = [];
  /** Make refresh find no usable sign-in (a revoked refresh token). */
  refreshFails = false;
  /** Refreshes wait for this, so a test can hold one open while other calls are refused. */
  refreshGate: Promise<void> = Promise.resolve();
  readonly #tokens = new Map<string, string>();

  constructor(private readonly emu: Emulator) {}

  /** Hand out `token` for the user until the next refresh (e.g. one the emulator does not know). */
  hold(openId: string, token: string): void {
    this.#tokens.set(openId, token);
  }

  async accessToken(openId: string): Promise<string | undefined> {
    return this.#tokens.get(openId) ?? this.#issue(openId);
  }

  async refresh(openId: string, rejected: string): Promise<string | undefined> {
    this.refreshes.push({ openId, rejected });
    await this.refreshGate;
    return this.refreshFails ? undefined : this.#issue(openId);
  }

  #issue(openId: string): string {
    const token = this.emu.state.issueUserTokens(openId).access.token;
    this.#tokens.set(openId, token);
    return token;
  }
}
