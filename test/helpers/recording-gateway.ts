/**
 * A stand-in for FeishuGateway in app-core tests: records every card the app posts and answers like the Open API
 * would. Not a product path: the gateway tests run the real FeishuGateway against the emulator.
 */
import type { Card } from '../../cards/index.js';
import type { CoreGateway } from '../../src/context.js';

export type RecordedCall =
  | { method: 'replyCard'; messageId: string; card: Card; uuid?: string }
  | { method: 'sendCard'; to: { chatId: string } | { openId: string }; card: Card; uuid?: string }
  | { method: 'patchCard'; messageId: string; card: Card }
  | { method: 'updateCardByToken'; token: string; card: Card };

export class RecordingGateway implements CoreGateway {
  readonly calls: RecordedCall[] = [];
  /** Make updateCardByToken fail, as an expired or used-up token does. */
  failTokenUpdates = false;
  #next = 1;

  constructor(readonly bot = { openId: 'ou_bot0000000000000000000000000', name: '运维助手 Ops Bot' }) {}

  async replyCard(messageId: string, card: Card, opts: { uuid?: string } = {}) {
    this.calls.push({ method: 'replyCard', messageId, card, ...opts });
    return { messageId: `om_sent${this.#next++}` };
  }

  async sendCard(to: { chatId: string } | { openId: string }, card: Card, opts: { uuid?: string } = {}) {
    this.calls.push({ method: 'sendCard', to, card, ...opts });
    return { messageId: `om_sent${this.#next++}` };
  }

  async patchCard(messageId: string, card: Card) {
    this.calls.push({ method: 'patchCard', messageId, card });
  }

  async updateCardByToken(token: string, card: Card) {
    if (this.failTokenUpdates) throw new Error('300040 token used up');
    this.calls.push({ method: 'updateCardByToken', token, card });
  }

  async botInfo() {
    return this.bot;
  }

  /** The text a reader would see on the n-th posted card (JSON, for substring checks). */
  cardText(n = -1): string {
    const call = this.calls.at(n);
    return call ? JSON.stringify(call.card) : '';
  }
}
