/**
 * The emulator's event push behaves as Feishu's does (pages "事件概述", "回调概述"): URL verification, the retry ladder in
 * emulator time, the 3 s deadline, legacy card callbacks, and the pushes that user actions cause, against the real bot.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { successCard } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import { deliveryFor, RETRY_LADDER_S, type EventDelivery, type EventRecord } from '../src/emulator/delivery.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { cardText, testSandbox } from './helpers/sandbox.js';

const eventually = <T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> =>
  vi.waitFor(check, { timeout, interval: 10 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stand-in bot on loopback whose answer each test scripts; records the pushes it saw. */
async function fakeBot(
  answer: (req: Request, res: Response, n: number) => void | Promise<void>,
): Promise<{ url: string; hits: number; close(): Promise<void> }> {
  const app = express();
  const state = { url: '', hits: 0 };
  app.post('/webhook/event', express.json(), (req, res) => answer(req, res, state.hits++));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/event`;
  return Object.assign(state, {
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

describe('event push without a real bot', () => {
  let emu: Emulator;
  let delivery: EventDelivery;
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    emu = await startEmulator();
    delivery = deliveryFor(emu.state);
  });
  afterEach(async () => {
    delivery.reset();
    emu.state.clock.setScale(1);
    for (const c of closers.splice(0)) await c();
  });
  afterAll(async () => emu.close());

  const pushed = async (answer: Parameters<typeof fakeBot>[0]) => {
    const bot = await fakeBot(answer);
    closers.push(() => bot.close());
    delivery.configure({ eventUrl: bot.url });
    return bot;
  };
  const gapsS = (r: EventRecord) => r.attempts.slice(1).map((a, i) => (a.at - r.attempts[i]!.at) / 1000);

  it('fails URL verification answered after the 1 s deadline or with the wrong body', async () => {
    await pushed((req, res) => void res.json({ challenge: (req.body as { challenge: string }).challenge }));
    expect(await delivery.verifyUrl()).toMatchObject({ ok: true });

    await pushed(async (req, res) => {
      await sleep(1_200);
      res.json({ challenge: (req.body as { challenge: string }).challenge });
    });
    expect(await delivery.verifyUrl()).toMatchObject({ ok: false, reason: 'no answer within 1000 ms' });

    await pushed((_req, res) => void res.json({ challenge: 'something else' }));
    expect((await delivery.verifyUrl()).reason).toMatch(
      /^answer was \{"challenge":"something else"\}, expected \{"challenge":"[0-9a-f]{32}"\}$/,
    );
  });

  it('re-pushes an event answered with 500 after 15 s, 5 min, 1 h and 6 h of emulator time, then gives up', async () => {
    // Each failed push sets the time scale so the next rung takes 250 real ms: the whole ladder runs in about 1 s.
    const bot = await pushed((_req, res, n) => {
      const next = RETRY_LADDER_S[n];
      if (next !== undefined) emu.state.clock.setScale((next * 1000) / 250);
      res.status(500).json({ error: 'boom' });
    });
    const record = await delivery.settled(delivery.pushEvent('contact.user.created_v3', { object: {} }));
    expect(record.state).toBe('failed');
    expect(record.attempts.map((a) => a.status)).toEqual([500, 500, 500, 500, 500]);
    gapsS(record).forEach((gap, i) => {
      const rung = RETRY_LADDER_S[i]!;
      expect(gap).toBeGreaterThanOrEqual(rung * 0.95);
      expect(gap).toBeLessThan(rung * 1.6);
    });
    await sleep(300);
    expect(bot.hits).toBe(5);
  });

  it('re-pushes along the same ladder while the bot is down', async () => {
    const bot = await pushed((_req, res) => void res.end());
    await bot.close();
    emu.state.clock.setScale(100_000);
    const record = await delivery.settled(delivery.pushEvent('contact.user.created_v3', { object: {} }));
    expect(record.state).toBe('failed');
    expect(record.attempts).toHaveLength(5);
    for (const a of record.attempts) expect(a.error).toMatch(/ECONNREFUSED/);
    gapsS(record).forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(RETRY_LADDER_S[i]! * 0.95));
  });

  it('counts an answer after 3 s as a failure and re-pushes the event', async () => {
    await pushed(async (_req, res, n) => {
      if (n === 0) await sleep(3_300);
      res.json({ msg: 'success' });
    });
    emu.state.clock.setScale(100);
    const record = await delivery.settled(delivery.pushEvent('contact.user.created_v3', { object: {} }));
    expect(record.state).toBe('delivered');
    expect(record.attempts.map((a) => a.status ?? a.error)).toEqual(['no answer within 3000 ms', 200]);
    expect(gapsS(record)[0]).toBeGreaterThanOrEqual(15 * 0.95);
  });

  it('keeps the card when a callback is answered with a card over 30 KB, and says 200673 as the client does', async () => {
    const user = emu.state.users[0]!;
    const card = (content: string) => ({
      schema: '2.0',
      config: { update_multi: true },
      body: {
        elements: [
          { tag: 'markdown', content },
          {
            tag: 'button',
            text: { tag: 'plain_text', content: 'Go' },
            behaviors: [{ type: 'callback', value: { action: 'go' } }],
          },
        ],
      },
    });
    const msg = emu.state.addMessage({
      chatId: emu.state.p2pChat(user.open_id).chatId,
      sender: { type: 'app', id: emu.state.app.appId },
      msgType: 'interactive',
      content: JSON.stringify(card('before')),
      card: card('before'),
      updateMulti: true,
    });
    let answer = card('x'.repeat(31 * 1024));
    await pushed((_req, res) => void res.json({ card: { type: 'raw', data: answer } }));
    const refused = await delivery.click({ messageId: msg.messageId, by: user.open_id, action: 'go' });
    expect(refused.status).toBe(200);
    expect(refused.error).toMatch(/^200673: the card is \d+ bytes; the limit is 30720/);
    expect(emu.state.messages.get(msg.messageId)?.card).toEqual(card('before'));

    answer = card('after');
    const applied = await delivery.click({ messageId: msg.messageId, by: user.open_id, action: 'go' });
    expect(applied.error).toBeUndefined();
    expect(emu.state.messages.get(msg.messageId)?.card).toEqual(card('after'));
  });

  it("refuses a callback answer whose card or toast names languages Feishu lacks (200673, 200672), and keeps a good one's as sent", async () => {
    const user = emu.state.users[0]!;
    const label = { zh_cn: '继续', en_us: 'Go on', ja_jp: '続ける' };
    const card = (i18n: Record<string, unknown>) => ({
      schema: '2.0',
      config: { update_multi: true, locales: ['zh_cn', 'en_us', 'ja_jp'] },
      body: {
        elements: [
          { tag: 'markdown', content: i18n.zh_cn, i18n_content: i18n },
          {
            tag: 'button',
            text: { tag: 'plain_text', content: label.zh_cn, i18n_content: label },
            behaviors: [{ type: 'callback', value: { action: 'go' } }],
          },
        ],
      },
    });
    const before = card({ zh_cn: '之前', en_us: 'Before' });
    const msg = emu.state.addMessage({
      chatId: emu.state.p2pChat(user.open_id).chatId,
      sender: { type: 'app', id: emu.state.app.appId },
      msgType: 'interactive',
      content: JSON.stringify(before),
      card: before,
      updateMulti: true,
    });
    let answer: Record<string, unknown> = { card: { type: 'raw', data: card({ zh_cn: '之后', english: 'After' }) } };
    await pushed((_req, res) => void res.json(answer));
    // The reader names the button in their own language.
    const click = () => delivery.click({ messageId: msg.messageId, by: user.open_id, label: 'Go on' });

    expect((await click()).error).toMatch(/^200673: card\.body\.elements\[0\]\.i18n_content has "english"/);
    answer = { toast: { type: 'success', content: '好', i18n: { zh_cn: '好', en: 'OK' } } };
    expect((await click()).error).toMatch(/^200672: toast\.i18n has "en"/);
    answer = { toast: { type: 'done', content: '好' } };
    expect((await click()).error).toMatch(/^200672: toast\.type must be one of info, success, error, warning/);
    expect(emu.state.messages.get(msg.messageId)?.card).toEqual(before);

    const after = card({ zh_cn: '之后', en_us: 'After', ja_jp: '後' });
    answer = {
      toast: { type: 'success', content: '好', i18n: { zh_cn: '好', ja_jp: 'はい' } },
      card: { type: 'raw', data: after },
    };
    const applied = await click();
    expect(applied.error).toBeUndefined();
    expect(applied.response).toEqual(answer);
    expect(emu.state.messages.get(msg.messageId)?.card).toEqual(after);
    expect(await delivery.click({ messageId: msg.messageId, by: user.open_id, label: '続ける' })).toMatchObject({
      status: 200,
    });
  });

  it('pushes a delivered event once more when duplicateAfterSuccess is on', async () => {
    const seen: string[] = [];
    await pushed((req, res) => {
      seen.push((req.body as { header: { event_id: string } }).header.event_id);
      res.json({ msg: 'success' });
    });
    delivery.configure({ eventUrl: delivery.endpoint!.eventUrl, duplicateAfterSuccess: true });
    const record = delivery.pushEvent('contact.user.created_v3', { object: {} });
    await eventually(() => expect(seen).toEqual([record.eventId, record.eventId]));
    expect(record.state).toBe('delivered');
  });
});

const done = defineAction('test.done', z.object({ n: z.number() }));

describe('pushes from user actions to the real bot', () => {
  let sb: Awaited<ReturnType<typeof testSandbox>>;
  const created: Record<string, unknown>[] = [];
  beforeAll(async () => {
    // Legacy callbacks are off by default; this bot is configured for them so their wire form can be exercised.
    sb = await testSandbox({ menu: { help: '/help' }, receiver: { legacyCardCallbacks: true } });
    sb.bot.app.event('contact.user.created_v3', async (_ctx, event) => void created.push(event));
    sb.bot.app.action(done, async (_ctx, { n }) => ({
      toast: { type: 'success', text: { zh_cn: '已完成', en_us: 'Done', ja_jp: 'Done' } },
      card: successCard({ title: { zh_cn: `第 ${n} 项完成`, en_us: `Item ${n} done`, ja_jp: `Item ${n} done` } }),
    }));
  });
  afterAll(async () => sb?.close());

  const user = () => sb.emulator.state.users[0]!;
  const appMessages = (chatId: string) =>
    [...sb.emulator.state.messages.values()].filter((m) => m.chatId === chatId && m.sender.type === 'app');

  it('sends legacy card callbacks, sha1-signed, to the card URL and applies the top-level card answer', async () => {
    const endpoint = sb.delivery.endpoint!;
    try {
      // Nothing listens on the event URL: only the card URL can answer.
      sb.delivery.configure({ ...endpoint, eventUrl: 'http://127.0.0.1:9/webhook/event', legacyCardCallbacks: true });
      const { messageId } = await sb.bot.gateway.im.sendCard(
        { openId: user().open_id },
        successCard({
          title: { zh_cn: '开始', en_us: 'Start', ja_jp: 'Start' },
          actions: [done.button({ n: 7 }, { label: { zh_cn: '完成', en_us: 'Finish', ja_jp: 'Finish' } })],
        }),
      );
      const answer = await sb.delivery.click({ messageId, by: user().open_id, label: 'Finish' });
      expect(answer).toMatchObject({ status: 200 });
      expect(answer.response?.schema).toBe('2.0');
      expect(cardText(sb.emulator.state.messages.get(messageId)?.card)).toContain('Item 7 done');
    } finally {
      sb.delivery.configure(endpoint);
    }
  });

  it('welcomes a chat the bot was added to with a card in that chat', async () => {
    const { chatId } = await sb.bot.gateway.chats.create({ name: '交付测试 Intake', userIds: [user().open_id] });
    const record = sb.delivery.botAdded({ chatId, by: user().open_id });
    expect((await sb.delivery.settled(record)).state).toBe('delivered');
    await eventually(() => expect(appMessages(chatId)).toHaveLength(1));
    const text = cardText(appMessages(chatId)[0]?.card);
    expect(text).toContain(sb.emulator.state.app.appName);
    expect(text).toContain('/help');
  });

  it('answers a bot menu click with the configured command, privately to the clicker', async () => {
    const clicker = sb.emulator.state.users[1]!;
    const p2p = sb.emulator.state.p2pChat(clicker.open_id);
    const before = appMessages(p2p.chatId).length;
    sb.delivery.menu({ by: clicker.open_id, eventKey: 'help' });
    await eventually(() => expect(appMessages(p2p.chatId)).toHaveLength(before + 1));
    expect(cardText(appMessages(p2p.chatId).at(-1)?.card)).toContain('/help');
  });

  it('hands contact.user.created_v3 to an app.event handler', async () => {
    const newcomer = sb.emulator.state.users[2]!;
    sb.delivery.userEvent('contact.user.created_v3', newcomer);
    await eventually(() => expect(created).toHaveLength(1));
    expect(created[0]).toMatchObject({ object: { open_id: newcomer.open_id, email: newcomer.email } });
  });
});

describe('a bot with default settings', () => {
  it("refuses a legacy callback signed with the token alone, so a click cannot be forged in another user's name", async () => {
    const sb = await testSandbox();
    try {
      let ran = 0;
      const forgeable = sb.bot.app.action(defineAction('test.forgeable', z.object({})), async () => {
        ran++;
        return { toast: { type: 'success', text: { zh_cn: '已执行', en_us: 'Done', ja_jp: 'Done' } } };
      });
      sb.delivery.configure({
        ...sb.delivery.endpoint!,
        eventUrl: 'http://127.0.0.1:9/webhook/event',
        legacyCardCallbacks: true,
      });
      const user = sb.emulator.state.users[0]!;
      const { messageId } = await sb.bot.gateway.im.sendCard(
        { openId: user.open_id },
        successCard({
          title: { zh_cn: '开始', en_us: 'Start', ja_jp: 'Start' },
          actions: [forgeable.button({}, { label: { zh_cn: '执行', en_us: 'Run', ja_jp: 'Run' } })],
        }),
      );
      const answer = await sb.delivery.click({ messageId, by: user.open_id, label: 'Run' });
      expect(answer).toMatchObject({ status: 403 });
      expect(ran).toBe(0);
      expect(cardText(sb.emulator.state.messages.get(messageId)?.card)).toContain('Start');
    } finally {
      await sb.close();
    }
  });
});
