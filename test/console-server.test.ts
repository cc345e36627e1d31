/**
 * The console's server side on a real sandbox: the page and its assets served locally, the command catalog, the
 * emulator's control API proxied on the bot's port (with the emulator's own answers, errors included), the pushed
 * payloads the traffic panel shows, and the sign-in callback page. Without the console option nothing is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSandbox } from './helpers/sandbox.js';

let sb: Awaited<ReturnType<typeof testSandbox>>;
const at = (path: string) => new URL(path, sb.consoleUrl).toString();
const post = (path: string, body: unknown) =>
  fetch(at(path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  sb = await testSandbox({}, { console: true });
});
afterAll(async () => sb?.close());

describe('console server', () => {
  it('serves the page, script and styles from this origin only, under a strict content security policy', async () => {
    const page = await fetch(at('/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])).toEqual([
      '/console/app.css',
      '/console/app.js',
    ]);
    const js = await fetch(at('/console/app.js'));
    expect(js.headers.get('content-type')).toContain('javascript');
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(at('/console/app.css'))).status).toBe(200);
  });

  it('lists the registered commands with usage, summary in every language, examples and arguments', async () => {
    const { commands } = (await (await fetch(at('/console/api/commands'))).json()) as {
      commands: { command: string; usage: string; args: unknown[] }[];
    };
    expect(commands.map((c) => c.command)).toEqual(
      sb.bot.app.commands().map((e) => (e.sub ? `${e.name} ${e.sub}` : e.name)),
    );
    expect(commands.find((c) => c.command === 'group create')).toMatchObject({
      usage: expect.stringContaining('/group create <name>'),
      args: expect.arrayContaining([expect.objectContaining({ en_us: expect.stringContaining('<name> (required)') })]),
    });
  });

  it("proxies the emulator's control API, passing its refusals through with their reasons", async () => {
    const refused = await post('/_emulator/events/message', { from: 'nobody', text: '/help' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain('no user "nobody"');
    const state = (await (await fetch(at('/_emulator/state'))).json()) as { users: unknown[] };
    expect(state.users).toHaveLength(sb.emulator.state.users.length);
  });

  it('shows pushed events and card callbacks with their payloads, the verification token redacted, newest after since', async () => {
    const messageId = await sb.say('张伟', '/group create 推送群 @李娜');
    const [card] = await sb.replies(messageId);
    const clicked = await post('/_emulator/events/click', {
      messageId: card?.messageId,
      by: '张伟',
      action: 'group.add-members',
    });
    expect(clicked.status).toBe(200);
    const all = (await (await fetch(at('/_emulator/deliveries'))).json()) as {
      events: {
        seq: number;
        type: string;
        payload: { header: { token: string }; event: { message: { content: string; mentions: unknown[] } } };
      }[];
      callbacks: {
        seq: number;
        payload: { header: { token: string }; event: { action: { value: { action: string } } } };
        response: unknown;
      }[];
    };
    const event = all.events.find((e) => e.payload.event.message.content.includes('推送群'));
    expect(event?.type).toBe('im.message.receive_v1');
    expect(event?.payload.event.message.mentions).toHaveLength(1);
    expect(event?.payload.header.token).toBe('[redacted]');
    const callback = all.callbacks.at(-1);
    expect(callback?.payload.event.action.value.action).toBe('group.add-members');
    expect(callback?.payload.header.token).toBe('[redacted]');
    expect(JSON.stringify(all)).not.toContain(sb.config.env.FEISHU_VERIFICATION_TOKEN);
    const later = (await (await fetch(at(`/_emulator/deliveries?since=${callback?.seq}`))).json()) as {
      events: unknown[];
      callbacks: unknown[];
    };
    expect(later).toEqual({ events: [], callbacks: [] });
    // The user's message keeps who its @_user_N placeholders stand for, so the chat can show names.
    expect(sb.emulator.state.messages.get(messageId)?.mentions).toEqual([
      { key: '@_user_1', id: expect.stringMatching(/^ou_/), name: '李娜' },
    ]);
  });

  it('answers the OAuth callback with the consent outcome, escaping what the query carries', async () => {
    const page = await (await fetch(at('/console/oauth/callback?code=abc&state=<script>x</script>'))).text();
    expect(page).toContain('&#60;script&#62;x');
    expect(page).not.toContain('<script>x');
    expect(page).toContain('send /login or /draft in the chat');
    const denied = await (await fetch(at('/console/oauth/callback?error=access_denied'))).text();
    expect(denied).toContain('access_denied');
  });

  it('is not served by a sandbox started without it', async () => {
    const plain = await testSandbox();
    try {
      expect((await fetch(`${plain.botUrl}/`)).status).toBe(404);
      expect((await fetch(`${plain.botUrl}/_emulator/state`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('the control API, against other web pages', () => {
  /** What the emulator recorded a user sending with `marker` in it: each accepted request sends one. */
  const sentWith = (marker: string) =>
    [...sb.emulator.state.messages.values()].filter((m) => m.sender.type === 'user' && m.content.includes(marker));
  const message = (marker: string) => ({ from: '张伟', text: `/help ${marker}` });
  const form = (marker: string) => new URLSearchParams(message(marker));

  it("refuses a cross-site form post to the proxy on the bot's port with 403, and no one speaks", async () => {
    const res = await fetch(at('/_emulator/events/message'), {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
      body: form('csrf-form'),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toContain('http://evil.example');
    expect(sentWith('csrf-form')).toEqual([]);
  });

  it('refuses another origin or site even with a JSON body: Origin, Sec-Fetch-Site cross-site and same-site', async () => {
    const json = { 'content-type': 'application/json' };
    const foreign: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of foreign) {
      const res = await fetch(at('/_emulator/events/message'), {
        method: 'POST',
        headers: { ...json, ...headers },
        body: JSON.stringify(message('csrf-json')),
      });
      expect([JSON.stringify(headers), res.status]).toEqual([JSON.stringify(headers), 403]);
    }
    const reset = await fetch(at('/_emulator/reset'), { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(reset.status).toBe(403);
    expect(sentWith('csrf-json')).toEqual([]);
  });

  it('refuses a body that is not JSON with 415, from its own page too: text/plain, form-encoded, multipart', async () => {
    const own = { origin: new URL(sb.consoleUrl!).origin, 'sec-fetch-site': 'same-origin' };
    const multipart = new FormData();
    multipart.set('from', '张伟');
    multipart.set('text', '/help not-json');
    const bodies: [string, RequestInit][] = [
      ['text/plain', { headers: { ...own, 'content-type': 'text/plain' }, body: JSON.stringify(message('not-json')) }],
      ['form-encoded', { headers: own, body: form('not-json') }],
      ['multipart', { headers: own, body: multipart }],
    ];
    for (const [kind, init] of bodies) {
      const res = await fetch(at('/_emulator/events/message'), { method: 'POST', ...init });
      expect([kind, res.status]).toEqual([kind, 415]);
    }
    expect(sentWith('not-json')).toEqual([]);
  });

  it('lets its own page (same origin, JSON, or a DELETE with no body) and tools without an Origin through', async () => {
    const own = {
      origin: new URL(sb.consoleUrl!).origin,
      'sec-fetch-site': 'same-origin',
      'content-type': 'application/json',
    };
    const page = await fetch(at('/_emulator/events/message'), {
      method: 'POST',
      headers: own,
      body: JSON.stringify(message('from-page')),
    });
    expect(page.status).toBe(200);
    expect((await post('/_emulator/events/message', message('from-tool'))).status).toBe(200);
    expect(sentWith('from-page')).toHaveLength(1);
    expect(sentWith('from-tool')).toHaveLength(1);
    const cleared = await fetch(at('/_emulator/faults'), {
      method: 'DELETE',
      headers: { origin: own.origin, 'sec-fetch-site': 'same-origin' },
    });
    expect(cleared.status).toBe(200);
  });

  it("guards the emulator's own port the same way", async () => {
    const emulatorUrl = `${sb.emulator.url}/_emulator/events/message`;
    const crossSite = await fetch(emulatorUrl, {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
      body: form('emulator-port'),
    });
    expect(crossSite.status).toBe(403);
    const formPost = await fetch(emulatorUrl, { method: 'POST', body: form('emulator-port') });
    expect(formPost.status).toBe(415);
    expect(sentWith('emulator-port')).toEqual([]);
  });
});
