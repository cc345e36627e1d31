/**
 * `npm run drills`: the reliability drills, against real bot processes (scripts/drill-bot.ts) and the
 * emulator. Prints one table, each row marked ✓ or ✗, and exits 1 on any loss, duplicate, false failure or problem
 * (a hostile request not refused, a connection reset, a fuzz input that throws, a secret found at rest or in the
 * logs, a recipient or link injected by a name), 2 on an unknown name in DRILLS (scripts/drills/runner.ts).
 * `DRILLS=name,… npm run drills` runs some. Sizes are scaled to finish in a few minutes on 2 cores (README "Drills");
 * DRILL_SCALE=5 runs them at full size.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import fc from 'fast-check';
import { parseCommand } from '../src/commands/parse.js';
import { buildLegacyCardPush, buildPush, signPush } from '../src/emulator/push.js';
import { encrypt } from '../src/protocol/crypto.js';
import { verifyPush } from '../src/receiver/verify.js';
import { approvalsDrill } from './drills/approvals.js';
import { bulkDrill } from './drills/bulk.js';
import { hostileStringsDrill } from './drills/hostile-strings.js';
import {
  BotProcess,
  commandRow,
  commands,
  freshWorld,
  issuedTokens,
  logFile,
  n,
  post,
  replies,
  row,
  secrets,
  settle,
  streamOf,
  tokenKey,
  workDir,
  type BotSpec,
  type Row,
} from './drills/kit.js';
import { mailDrill } from './drills/mail.js';
import { offboardingDrill } from './drills/offboarding.js';
import { onboardingDrill } from './drills/onboarding.js';
import { undoDrill } from './drills/undo.js';
import { runDrills } from './drills/runner.js';
import { redisDrill } from './drills/scale-out.js';

/** SIGKILLs the bot `kills` times, evenly, while `total` commands arrive; restarts it each time. */
async function crashDrill(o: { total: number; kills: number; bot?: BotSpec; label?: string }): Promise<Row> {
  const world = await freshWorld({ bot: o.bot });
  const { emu, dataDir } = world;
  let bot = world.bot;
  let kills = 0;
  const sent = await commands(emu, 'crash', o.total, async (i) => {
    await pause(15);
    if (i > 0 && i % Math.ceil(o.total / (o.kills + 1)) === 0) {
      await bot.stop('SIGKILL');
      kills++;
      bot = await new BotProcess(emu, dataDir, o.bot).start();
    }
  });
  const t = await settle(emu, sent, 90_000);
  return commandRow(`${o.label ?? ''}SIGKILL ×${kills} during ${o.total} commands`, o.total, t);
}

async function redeliveryDrill(): Promise<Row> {
  const { emu, dataDir, bot } = await freshWorld();
  emu.delivery.configure({
    eventUrl: `${bot.url}/webhook/event`,
    cardUrl: `${bot.url}/webhook/card`,
    ...secrets,
    duplicateAfterSuccess: true,
  });
  const total = n(60);
  const sent = await commands(emu, 'thrice', total, () => pause(10));
  await settle(emu, sent, 60_000);
  // The third delivery of each event reaches a restarted bot.
  await bot.stop('SIGKILL');
  await new BotProcess(emu, dataDir).start();
  for (const s of sent) await emu.delivery.redeliver(s.record!);
  await pause(2_000);
  const t = await settle(emu, sent, 30_000);
  return commandRow(`every event ×3 (3rd after a restart), ${total} commands`, total, t);
}

async function faultDrill(rate: number): Promise<Row> {
  const { emu } = await freshWorld();
  const each = rate / 5;
  const faults = [
    { code: 20050, errorRate: each },
    { code: 99991400, errorRate: each },
    { latencyMs: 2_500, errorRate: each },
    { drop: true, errorRate: each },
    { dropAfter: true, errorRate: each },
  ];
  for (const f of faults) {
    await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pathPrefix: '/open-apis/', ...f }),
    });
  }
  const total = n(60);
  const sent = await commands(emu, `faults${Math.round(rate * 100)}`, total, () => pause(30));
  const t = await settle(emu, sent, 150_000);
  return commandRow(`${Math.round(rate * 100)} % faults (5xx, 429, timeout, drop, performed-then-dropped)`, total, t);
}

async function hostileDrill(): Promise<Row> {
  const { emu, bot } = await freshWorld();
  const push = (path: string, body: Parameters<typeof post>[1], headers: Record<string, string>) =>
    post(`${bot.url}${path}`, body, headers);
  const envelope = (i: number, token = secrets.verificationToken) => ({
    schema: '2.0',
    header: {
      event_id: `hostile_${i}_${randomBytes(4).toString('hex')}`,
      event_type: 'im.message.receive_v1',
      create_time: String(Date.now()),
      token,
      app_id: emu.state.app.appId,
      tenant_key: emu.state.app.tenantKey,
    },
    event: {
      sender: { sender_id: { open_id: emu.state.users[0]!.open_id }, sender_type: 'user' },
      message: {
        message_id: `om_hostile${i}${randomBytes(4).toString('hex')}`,
        chat_id: 'oc_hostile',
        chat_type: 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text: '/group create hostile' }),
      },
    },
  });
  // Built as text: JSON.stringify itself overflows the stack on it.
  const deep = `${'{"d":'.repeat(10_000)}{}${'}'.repeat(10_000)}`;
  const classes: Record<string, (i: number) => Promise<number | string>> = {
    'bad signature': (i) => {
      const p = buildPush(envelope(i), secrets);
      return push('/webhook/event', p.body, { ...p.headers, 'x-lark-signature': randomBytes(32).toString('hex') });
    },
    replay: (i) => {
      const p = buildPush(envelope(i), secrets, Date.now() - 3_600_000);
      return push('/webhook/event', p.body, p.headers);
    },
    'wrong token': (i) => {
      const p = buildPush(envelope(i, 'not-the-token'), secrets);
      return push('/webhook/event', p.body, p.headers);
    },
    oversize: () => {
      const p = signPush(JSON.stringify({ encrypt: 'A'.repeat(2 * 1024 * 1024) }), secrets.encryptKey);
      return push('/webhook/event', p.body, p.headers);
    },
    // No content-length: the bot finds the body too large only while reading it, and closes on a sender still sending.
    'oversize, streamed': () => {
      const p = signPush('{}', secrets.encryptKey);
      return push('/webhook/event', streamOf(8 * 1024 * 1024), p.headers);
    },
    'over-deep': (i) => {
      const plain = `${JSON.stringify(envelope(i)).slice(0, -1)},"deep":${deep}}`;
      const p = signPush(JSON.stringify({ encrypt: encrypt(plain, secrets.encryptKey) }), secrets.encryptKey);
      return push('/webhook/event', p.body, p.headers);
    },
    'legacy forged callback': () => {
      const p = buildLegacyCardPush(
        {
          open_id: emu.state.users[1]!.open_id,
          open_message_id: 'om_x',
          token: `c-${randomBytes(20).toString('hex')}`,
          action: { value: { action: 'group.mailgroup', chatId: 'oc_x' } },
        },
        secrets.verificationToken,
      );
      return push('/webhook/card', p.body, p.headers);
    },
    // The sign-in page is written in the browser's language: a header made to break the parse or be echoed changes
    // nothing but the language (a forged state is still refused), and never reaches the page.
    'hostile Accept-Language': async (i) => {
      const header = [
        `${'ja;q=0.9,'.repeat(2_000)}en`,
        '<script>alert(1)</script>',
        'zh-CN;q=NaN,en;q=-1,ja;q=1e999',
        '\u0000ja',
        `${'x'.repeat(7_000)}`,
      ][i % 5]!;
      const res = await fetch(`${bot.url}/oauth/callback?code=c&state=${randomBytes(16).toString('hex')}`, {
        headers: { 'accept-language': header.replace(/[^\t\x20-\x7e]/g, '') },
      }).catch((e: Error) => e);
      if (res instanceof Error) return res.message;
      const page = await res.text();
      return page.includes('<script>alert') ? 'echoed the header' : res.status;
    },
    garbage: () => push('/webhook/event', randomBytes(512), { 'content-type': 'application/json' }),
    'unsigned plaintext': (i) =>
      push('/webhook/event', JSON.stringify(envelope(i)), { 'content-type': 'application/json' }),
  };
  const per = n(10);
  let tried = 0;
  let rejected = 0;
  let closedMidBody = 0;
  const notRefused: string[] = [];
  for (const [name, make] of Object.entries(classes)) {
    for (let i = 0; i < per; i++) {
      tried++;
      const status = await make(i);
      if (typeof status === 'number' && status >= 400 && status < 500) rejected++;
      // The bot ends the connection with its 413 while the body is still being sent: often the 413 is not read.
      else if (name.startsWith('oversize') && (status === 'EPIPE' || status === 'ECONNRESET')) {
        rejected++;
        closedMidBody++;
      } else notRefused.push(`${name}: ${status}`);
    }
  }
  await pause(1_000);
  const acted =
    [...emu.state.messages.values()].filter((m) => m.sender.type === 'app').length +
    [...emu.state.chats.values()].filter((c) => c.chatMode === 'group').length;
  const note = [
    ...notRefused.slice(0, 3),
    ...(closedMidBody
      ? [`oversize: ${closedMidBody} of ${2 * per} connections closed mid-body before the 413 could be read`]
      : []),
  ];
  return row({
    drill: `hostile requests (${Object.keys(classes).length} classes × ${per})`,
    tried,
    rejected,
    problems: notRefused.length + acted,
    note: note.join('; '),
  });
}

function fuzzDrill(): Row[] {
  const runs = n(10_000);
  let throws = 0;
  let tried = 0;
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
      tried++;
      try {
        parseCommand(s, { chatType: 'p2p', subcommands: () => ['create', 'add'] });
      } catch {
        throws++;
      }
    }),
    { numRuns: runs },
  );
  const parser = row({ drill: 'fuzz: command parser', tried, completed: tried - throws, problems: throws });

  let accepted = 0;
  throws = 0;
  tried = 0;
  const header = fc.option(fc.string({ maxLength: 80 }), { nil: undefined });
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      header,
      header,
      header,
      fc.constantFrom<'event' | 'card'>('event', 'card'),
      (bytes, ts, nonce, sig, endpoint) => {
        tried++;
        const headers: Record<string, string> = {};
        if (ts !== undefined) headers['x-lark-request-timestamp'] = ts;
        if (nonce !== undefined) headers['x-lark-request-nonce'] = nonce;
        if (sig !== undefined) headers['x-lark-signature'] = sig;
        try {
          const r = verifyPush(
            { rawBody: Buffer.from(bytes), headers, now: Date.now(), endpoint },
            { ...secrets, replayWindowSeconds: 300, legacyCardCallbacks: false },
          );
          if (r.ok) accepted++;
        } catch {
          throws++;
        }
      },
    ),
    { numRuns: runs },
  );
  return [
    parser,
    row({
      drill: 'fuzz: receiver verification',
      tried,
      rejected: tried - accepted - throws,
      problems: throws + accepted,
    }),
  ];
}

async function sigtermDrill(): Promise<Row> {
  const { emu, dataDir, bot } = await freshWorld();
  const total = n(100);
  const user = emu.state.users[0]!;
  const chatId = emu.state.p2pChat(user.open_id).chatId;
  let signalled = 0;
  const results: { status: number | string; before: boolean; messageId: string }[] = [];
  const push = async (i: number) => {
    // A real message in the emulator, so the bot's reply has something to answer; pushed by the drill to see each status.
    const msg = emu.state.addMessage({
      chatId,
      sender: { type: 'user', id: user.open_id },
      msgType: 'text',
      content: JSON.stringify({ text: '/help' }),
      updateMulti: false,
    });
    const env = {
      schema: '2.0',
      header: {
        event_id: `term_${i}_${randomBytes(4).toString('hex')}`,
        event_type: 'im.message.receive_v1',
        create_time: String(Date.now()),
        token: secrets.verificationToken,
        app_id: emu.state.app.appId,
        tenant_key: emu.state.app.tenantKey,
      },
      event: {
        sender: { sender_id: { open_id: user.open_id }, sender_type: 'user' },
        message: {
          message_id: msg.messageId,
          chat_id: chatId,
          chat_type: 'p2p',
          message_type: 'text',
          content: msg.content,
        },
      },
    };
    const p = buildPush(env, secrets);
    const before = signalled === 0;
    const status = await post(`${bot.url}/webhook/event`, p.body, p.headers);
    results.push({ status, before, messageId: msg.messageId });
  };
  // Warm: the first pushes of a cold process are slow and would all land after the signal.
  await Promise.all([0, 1, 2, 3, 4].map((i) => push(-1 - i)));
  const requests = Array.from({ length: total }, async (_, i) => {
    await pause(i * 10);
    await push(i);
  });
  await pause(total * 5);
  signalled = Date.now();
  const exit = bot.stop('SIGTERM');
  await Promise.all(requests);
  const code = await exit;
  // Whatever was acknowledged is answered, by this process or the next start.
  await new BotProcess(emu, dataDir).start();
  const acked = results.filter((r) => r.status === 200).map((r) => r.messageId);
  const answered = () => acked.filter((id) => replies(emu, id).length > 0).length;
  const until = Date.now() + 30_000;
  while (answered() < acked.length && Date.now() < until) await pause(200);
  const refused = results.filter((r) => r.status === 503 || r.status === 'ECONNREFUSED').length;
  // A request sent before the signal must get an answer; one sent after it may find the port closing.
  const cut = results.filter((r) => typeof r.status === 'string' && r.before);
  const lateErrors = results.filter((r) => typeof r.status === 'string' && r.status !== 'ECONNREFUSED' && !r.before);
  return row({
    drill: `SIGTERM under load (${results.length} pushes)`,
    tried: results.length,
    completed: answered(),
    lost: acked.length - answered(),
    rejected: refused,
    problems: cut.length + (code === 0 ? 0 : 1),
    note: `exit ${code}; ${acked.length} acknowledged, ${refused} refused (503 or closed port: Feishu re-pushes); ${cut.length} requests sent before SIGTERM got no answer; ${lateErrors.length} sent after it met a closing connection (${[...new Set(lateErrors.map((r) => r.status))].join(', ')})`,
  });
}

function secretScan(): Row {
  const needles: [string, string][] = [
    ['encrypt key', secrets.encryptKey],
    ['verification token', secrets.verificationToken],
    ['token encryption key', tokenKey],
    ...issuedTokens.map((t): [string, string] => ['a user token', t]),
    ['app secret', 'app_secret_'],
    ['a bearer token', 'Bearer t-'],
    ['a bearer token', 'Bearer u-'],
  ];
  const work = workDir();
  const files: string[] = [logFile()];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p !== logFile()) files.push(p);
    }
  };
  walk(work);
  const found: string[] = [];
  for (const f of files) {
    const content = readFileSync(f).toString('latin1');
    for (const [what, needle] of needles) if (content.includes(needle)) found.push(`${f.slice(work.length)}: ${what}`);
    if (/"(tenant_access_token|app_secret|encrypt_key)":"[^[]/.test(content))
      found.push(`${f.slice(work.length)}: token field`);
  }
  return row({
    drill: 'secret scan: logs and data dirs',
    tried: files.length,
    completed: files.length - new Set(found.map((f) => f.split(':')[0])).size,
    problems: found.length,
    note: found.slice(0, 3).join('; '),
  });
}

process.exit(
  await runDrills([
    { name: 'fuzz', run: fuzzDrill },
    { name: 'hostile', run: hostileDrill },
    { name: 'crash', run: () => crashDrill({ total: n(200), kills: 5 }) },
    { name: 'redelivery', run: redeliveryDrill },
    { name: 'faults 10 %', run: () => faultDrill(0.1) },
    { name: 'faults 30 %', run: () => faultDrill(0.3) },
    { name: 'sigterm', run: sigtermDrill },
    { name: 'signin-mail', run: mailDrill },
    { name: 'onboarding', run: onboardingDrill },
    {
      name: 'websocket',
      run: () =>
        crashDrill({
          total: n(60),
          kills: 2,
          bot: { env: { FEISHU_TRANSPORT: 'websocket' } },
          label: 'long connection: ',
        }),
    },
    { name: 'redis', run: redisDrill },
    { name: 'hostile-strings', run: hostileStringsDrill },
    { name: 'undo', run: undoDrill },
    { name: 'approvals', run: approvalsDrill },
    { name: 'offboarding', run: offboardingDrill },
    { name: 'bulk', run: bulkDrill },
    // Last: it reads what every other drill left in the logs and data directories.
    { name: 'secrets', run: secretScan },
  ]),
);
