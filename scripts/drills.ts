/**
 * `npm run drills`: the reliability drills of issue 8, against real bot processes (scripts/drill-bot.ts) and the
 * emulator. Prints one table and exits non-zero on any loss, duplicate, false failure or problem (a hostile request
 * not refused, a connection reset, a fuzz input that throws, a secret found at rest or in the logs).
 * Sizes are scaled to finish in a few minutes on 2 cores (README "Drills"); DRILL_SCALE=5 runs the sizes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as pause } from 'node:timers/promises';
import fc from 'fast-check';
import { parseCommand } from '../src/commands/parse.js';
import type { EventRecord } from '../src/emulator/delivery.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { buildLegacyCardPush, buildPush, signPush } from '../src/emulator/push.js';
import { encrypt } from '../src/protocol/crypto.js';
import { verifyPush } from '../src/receiver/verify.js';

const SCALE = Number(process.env.DRILL_SCALE ?? 1);
const n = (base: number) => Math.max(1, Math.round(base * SCALE));

interface Row {
  drill: string;
  tried: number;
  completed: number;
  reportedFailed: number;
  lost: number;
  duplicated: number;
  rejected: number;
  /** Failures of a drill's own kind (false failures, resets, throws, secrets found). */
  problems: number;
  note?: string;
}
const rows: Row[] = [];
const row = (r: Partial<Row> & { drill: string }): Row => ({ tried: 0, completed: 0, reportedFailed: 0, lost: 0, duplicated: 0, rejected: 0, problems: 0, ...r });

const work = mkdtempSync(join(tmpdir(), 'drills-'));
const logFile = join(work, 'bot.log');
const log = createWriteStream(logFile, { flags: 'a' });
const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };

class BotProcess {
  child!: ChildProcess;
  url!: string;
  constructor(private readonly emu: Emulator, private readonly dataDir: string) {}

  async start(): Promise<this> {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'drill-bot.ts'), this.dataDir, this.emu.url], {
      env: { ...process.env, FEISHU_ENCRYPT_KEY: secrets.encryptKey, FEISHU_VERIFICATION_TOKEN: secrets.verificationToken },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stderr!.pipe(log, { end: false });
    const lines = createInterface({ input: this.child.stdout! });
    this.url = await new Promise<string>((resolve, reject) => {
      lines.on('line', (l) => {
        if (l.startsWith('DRILL_URL ')) resolve(l.slice(10));
        else log.write(`${l}\n`);
      });
      this.child.once('exit', (code) => reject(new Error(`drill bot exited with ${code} before listening`)));
    });
    this.emu.delivery.configure({ eventUrl: `${this.url}/webhook/event`, cardUrl: `${this.url}/webhook/card`, ...secrets });
    return this;
  }

  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill(signal);
    return exited;
  }
}

const replies = (emu: Emulator, messageId: string) =>
  [...emu.state.messages.values()].filter((m) => m.parentId === messageId && m.sender.type === 'app');
const text = (card: unknown): string => JSON.stringify(card ?? {});

/** How the `/group create <name>` commands ended: one chat and one success card each, or what went wrong. */
function tally(emu: Emulator, sent: Sent[]) {
  const byName = new Map<string, number>();
  for (const c of emu.state.chats.values()) if (c.chatMode === 'group') byName.set(c.name, (byName.get(c.name) ?? 0) + 1);
  const t = { completed: 0, reportedFailed: 0, lost: 0, duplicated: 0, falseFailures: 0, pending: 0 };
  for (const s of sent) {
    const r = replies(emu, s.messageId);
    const chats = byName.get(s.name) ?? 0;
    const card = text(r[0]?.card);
    if (chats > 1 || r.length > 1) t.duplicated++;
    else if (r.length === 0) t.lost++;
    else if (card.includes('Group chat created') && chats === 1) t.completed++;
    else if (card.includes('Could not')) {
      t.reportedFailed++;
      if (chats > 0) t.falseFailures++;
    } else t.pending++;
  }
  return t;
}

/** Sends `/group create` commands and waits until each has a final card or `deadlineMs` passes. */
type Sent = { name: string; messageId: string; record?: EventRecord };

async function commands(emu: Emulator, prefix: string, count: number, during?: (i: number) => Promise<void>) {
  const sent: Sent[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    const { messageId, event } = emu.delivery.sendMessage({ from: '张伟', text: `/group create ${name}` });
    sent.push({ name, messageId, ...(event ? { record: event } : {}) });
    await during?.(i);
  }
  return sent;
}

/**
 * Waits for every command to end. A push the bot never acknowledged (it was down) is pushed again every 3 s, standing
 * in for the later rungs of Feishu's retry ladder (5 min, 1 h, 6 h) that a drill cannot wait for.
 */
async function settle(emu: Emulator, sent: Sent[], deadlineMs: number) {
  const until = Date.now() + deadlineMs;
  let t = tally(emu, sent);
  let nextPush = Date.now() + 3_000;
  while ((t.lost > 0 || t.pending > 0) && Date.now() < until) {
    await pause(250);
    if (Date.now() > nextPush) {
      nextPush = Date.now() + 3_000;
      for (const s of sent) if (s.record && s.record.state !== 'delivered') void emu.delivery.redeliver(s.record).then((a) => { if (a.status === 200) s.record!.state = 'delivered'; });
    }
    t = tally(emu, sent);
  }
  return t;
}

async function freshWorld() {
  const emu = await startEmulator();
  const dataDir = mkdtempSync(join(work, 'data-'));
  return { emu, dataDir, bot: await new BotProcess(emu, dataDir).start() };
}

async function crashDrill(): Promise<void> {
  const world = await freshWorld();
  const { emu, dataDir } = world;
  let bot = world.bot;
  const total = n(200);
  let kills = 0;
  const sent = await commands(emu, 'crash', total, async (i) => {
    await pause(15);
    if (i > 0 && i % Math.ceil(total / 6) === 0) {
      await bot.stop('SIGKILL');
      kills++;
      bot = await new BotProcess(emu, dataDir).start();
    }
  });
  const t = await settle(emu, sent, 90_000);
  rows.push(row({ drill: `SIGKILL ×${kills} during ${total} commands`, tried: total, ...t, problems: t.falseFailures }));
  await bot.stop('SIGKILL');
  await emu.close();
}

async function redeliveryDrill(): Promise<void> {
  const { emu, dataDir, bot } = await freshWorld();
  emu.delivery.configure({ eventUrl: `${bot.url}/webhook/event`, cardUrl: `${bot.url}/webhook/card`, ...secrets, duplicateAfterSuccess: true });
  const total = n(60);
  const records = [];
  const sent: Sent[] = [];
  for (let i = 0; i < total; i++) {
    const name = `thrice-${i}`;
    const { messageId, event } = emu.delivery.sendMessage({ from: '李娜', text: `/group create ${name}` });
    sent.push({ name, messageId, record: event! });
    records.push(event!);
    await pause(10);
  }
  await settle(emu, sent, 60_000);
  // The third delivery of each event reaches a restarted bot.
  await bot.stop('SIGKILL');
  const next = await new BotProcess(emu, dataDir).start();
  for (const r of records) await emu.delivery.redeliver(r);
  await pause(2_000);
  const t = await settle(emu, sent, 30_000);
  rows.push(row({ drill: `every event ×3 (3rd after a restart), ${total} commands`, tried: total, ...t, problems: t.falseFailures }));
  await next.stop('SIGKILL');
  await emu.close();
}

async function faultDrill(rate: number): Promise<void> {
  const { emu, bot } = await freshWorld();
  const each = rate / 5;
  const faults = [
    { code: 20050, errorRate: each },
    { code: 99991400, errorRate: each },
    { latencyMs: 2_500, errorRate: each },
    { drop: true, errorRate: each },
    { dropAfter: true, errorRate: each },
  ];
  for (const f of faults) {
    await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pathPrefix: '/open-apis/', ...f }) });
  }
  const total = n(60);
  const sent = await commands(emu, `faults${Math.round(rate * 100)}`, total, () => pause(30));
  const t = await settle(emu, sent, 150_000);
  rows.push(row({ drill: `${Math.round(rate * 100)} % faults (5xx, 429, timeout, drop, performed-then-dropped)`, tried: total, ...t, problems: t.falseFailures }));
  await bot.stop('SIGKILL');
  await emu.close();
}

async function hostileDrill(): Promise<void> {
  const { emu, bot } = await freshWorld();
  const post = async (path: string, body: string | Buffer, headers: Record<string, string>) =>
    (await fetch(`${bot.url}${path}`, { method: 'POST', headers, body })).status;
  const envelope = (i: number, token = secrets.verificationToken) => ({
    schema: '2.0',
    header: { event_id: `hostile_${i}_${randomBytes(4).toString('hex')}`, event_type: 'im.message.receive_v1', create_time: String(Date.now()), token, app_id: emu.state.app.appId, tenant_key: emu.state.app.tenantKey },
    event: {
      sender: { sender_id: { open_id: emu.state.users[0]!.open_id }, sender_type: 'user' },
      message: { message_id: `om_hostile${i}${randomBytes(4).toString('hex')}`, chat_id: 'oc_hostile', chat_type: 'p2p', message_type: 'text', content: JSON.stringify({ text: '/group create hostile' }) },
    },
  });
  // Built as text: JSON.stringify itself overflows the stack on it.
  const deep = `${'{"d":'.repeat(10_000)}{}${'}'.repeat(10_000)}`;
  const classes: Record<string, (i: number) => Promise<number>> = {
    'bad signature': (i) => {
      const p = buildPush(envelope(i), secrets);
      return post('/webhook/event', p.body, { ...p.headers, 'x-lark-signature': randomBytes(32).toString('hex') });
    },
    replay: (i) => {
      const p = buildPush(envelope(i), secrets, Date.now() - 3_600_000);
      return post('/webhook/event', p.body, p.headers);
    },
    'wrong token': (i) => {
      const p = buildPush(envelope(i, 'not-the-token'), secrets);
      return post('/webhook/event', p.body, p.headers);
    },
    oversize: () => {
      const p = signPush(JSON.stringify({ encrypt: 'A'.repeat(2 * 1024 * 1024) }), secrets.encryptKey);
      return post('/webhook/event', p.body, p.headers);
    },
    'over-deep': (i) => {
      const plain = `${JSON.stringify(envelope(i)).slice(0, -1)},"deep":${deep}}`;
      const p = signPush(JSON.stringify({ encrypt: encrypt(plain, secrets.encryptKey) }), secrets.encryptKey);
      return post('/webhook/event', p.body, p.headers);
    },
    'legacy forged callback': () => {
      const p = buildLegacyCardPush({ open_id: emu.state.users[1]!.open_id, open_message_id: 'om_x', token: `c-${randomBytes(20).toString('hex')}`, action: { value: { action: 'group.mailgroup', chatId: 'oc_x' } } }, secrets.verificationToken);
      return post('/webhook/card', p.body, p.headers);
    },
    garbage: () => post('/webhook/event', randomBytes(512), { 'content-type': 'application/json' }),
    'unsigned plaintext': (i) => post('/webhook/event', JSON.stringify(envelope(i)), { 'content-type': 'application/json' }),
  };
  const per = n(10);
  let tried = 0;
  let rejected = 0;
  const notRefused: string[] = [];
  for (const [name, make] of Object.entries(classes)) {
    for (let i = 0; i < per; i++) {
      tried++;
      const status = await make(i);
      if (status >= 400 && status < 500) rejected++;
      else notRefused.push(`${name}: ${status}`);
    }
  }
  await pause(1_000);
  const acted = [...emu.state.messages.values()].filter((m) => m.sender.type === 'app').length + [...emu.state.chats.values()].filter((c) => c.chatMode === 'group').length;
  rows.push(row({ drill: `hostile requests (${Object.keys(classes).length} classes × ${per})`, tried, rejected, problems: notRefused.length + acted, note: notRefused.slice(0, 3).join('; ') }));
  await bot.stop('SIGTERM');
  await emu.close();
}

function fuzzDrill(): void {
  const runs = n(10_000);
  let throws = 0;
  let tried = 0;
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => {
    tried++;
    try {
      parseCommand(s, { chatType: 'p2p', subcommands: () => ['create', 'add'] });
    } catch {
      throws++;
    }
  }), { numRuns: runs });
  rows.push(row({ drill: 'fuzz: command parser', tried, completed: tried - throws, problems: throws }));

  let accepted = 0;
  throws = 0;
  tried = 0;
  const header = fc.option(fc.string({ maxLength: 80 }), { nil: undefined });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), header, header, header, fc.constantFrom<'event' | 'card'>('event', 'card'), (bytes, ts, nonce, sig, endpoint) => {
    tried++;
    const headers: Record<string, string> = {};
    if (ts !== undefined) headers['x-lark-request-timestamp'] = ts;
    if (nonce !== undefined) headers['x-lark-request-nonce'] = nonce;
    if (sig !== undefined) headers['x-lark-signature'] = sig;
    try {
      const r = verifyPush({ rawBody: Buffer.from(bytes), headers, now: Date.now(), endpoint }, { ...secrets, replayWindowSeconds: 300, legacyCardCallbacks: false });
      if (r.ok) accepted++;
    } catch {
      throws++;
    }
  }), { numRuns: runs });
  rows.push(row({ drill: 'fuzz: receiver verification', tried, rejected: tried - accepted - throws, problems: throws + accepted }));
}

async function sigtermDrill(): Promise<void> {
  const { emu, dataDir, bot } = await freshWorld();
  const total = n(100);
  const user = emu.state.users[0]!;
  const chatId = emu.state.p2pChat(user.open_id).chatId;
  let signalled = 0;
  const results: { status: number | string; before: boolean; messageId: string }[] = [];
  const push = async (i: number) => {
    // A real message in the emulator, so the bot's reply has something to answer; pushed by the drill to see each status.
    const msg = emu.state.addMessage({ chatId, sender: { type: 'user', id: user.open_id }, msgType: 'text', content: JSON.stringify({ text: '/help' }), updateMulti: false });
    const env = {
      schema: '2.0',
      header: { event_id: `term_${i}_${randomBytes(4).toString('hex')}`, event_type: 'im.message.receive_v1', create_time: String(Date.now()), token: secrets.verificationToken, app_id: emu.state.app.appId, tenant_key: emu.state.app.tenantKey },
      event: {
        sender: { sender_id: { open_id: user.open_id }, sender_type: 'user' },
        message: { message_id: msg.messageId, chat_id: chatId, chat_type: 'p2p', message_type: 'text', content: msg.content },
      },
    };
    const p = buildPush(env, secrets);
    const before = signalled === 0;
    const status = await fetch(`${bot.url}/webhook/event`, { method: 'POST', headers: p.headers, body: p.body })
      .then((r) => r.status, (e: Error) => `${(e.cause as { code?: string } | undefined)?.code ?? e.message}`);
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
  const next = await new BotProcess(emu, dataDir).start();
  const acked = results.filter((r) => r.status === 200).map((r) => r.messageId);
  const answered = () => acked.filter((id) => replies(emu, id).length > 0).length;
  const until = Date.now() + 30_000;
  while (answered() < acked.length && Date.now() < until) await pause(200);
  const refused = results.filter((r) => r.status === 503 || r.status === 'ECONNREFUSED').length;
  // A request sent before the signal must get an answer; one sent after it may find the port closing.
  const cut = results.filter((r) => typeof r.status === 'string' && r.before);
  const lateErrors = results.filter((r) => typeof r.status === 'string' && r.status !== 'ECONNREFUSED' && !r.before);
  rows.push(row({
    drill: `SIGTERM under load (${results.length} pushes)`, tried: results.length, completed: answered(), lost: acked.length - answered(), rejected: refused,
    problems: cut.length + (code === 0 ? 0 : 1),
    note: `exit ${code}; ${acked.length} acknowledged, ${refused} refused (503 or closed port: Feishu re-pushes); ${cut.length} requests sent before SIGTERM got no answer; ${lateErrors.length} sent after it met a closing connection (${[...new Set(lateErrors.map((r) => r.status))].join(', ')})`,
  }));
  await next.stop('SIGTERM');
  await emu.close();
}

function secretScan(): void {
  const needles = [secrets.encryptKey, secrets.verificationToken, 'app_secret_', 'Bearer t-', 'Bearer u-'];
  const files: string[] = [logFile];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p !== logFile) files.push(p);
    }
  };
  walk(work);
  const found: string[] = [];
  for (const f of files) {
    const content = readFileSync(f).toString('latin1');
    for (const needle of needles) if (content.includes(needle)) found.push(`${f.slice(work.length)}: ${needle.slice(0, 6)}…`);
    if (/"(tenant_access_token|app_secret|encrypt_key)":"[^[]/.test(content)) found.push(`${f.slice(work.length)}: token field`);
  }
  rows.push(row({ drill: 'secret scan: logs and data dirs', tried: files.length, completed: files.length - new Set(found.map((f) => f.split(':')[0])).size, problems: found.length, note: found.slice(0, 3).join('; ') }));
}

function print(): void {
  const head = ['drill', 'tried', 'completed', 'reported failed', 'lost', 'duplicated', 'rejected', 'problems'];
  const lines = rows.map((r) => [r.drill, r.tried, r.completed, r.reportedFailed, r.lost, r.duplicated, r.rejected, r.problems].map(String));
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)];
  process.stdout.write(`\n${out.join('\n')}\n`);
  for (const r of rows) if (r.note) process.stdout.write(`  ${r.drill}: ${r.note}\n`);
}

const started = Date.now();
const drills: [string, () => Promise<void> | void][] = [
  ['fuzz', fuzzDrill], ['hostile', hostileDrill], ['crash', crashDrill], ['redelivery', redeliveryDrill],
  ['faults 10 %', () => faultDrill(0.1)], ['faults 30 %', () => faultDrill(0.3)], ['sigterm', sigtermDrill], ['secrets', secretScan],
];
const only = process.env.DRILLS?.split(',');
for (const [name, run] of drills) {
  if (only && !only.includes(name)) continue;
  const t0 = Date.now();
  process.stderr.write(`drill: ${name}…`);
  try {
    await run();
  } catch (err) {
    rows.push(row({ drill: name, problems: 1, note: `drill crashed: ${(err as Error).message}` }));
  }
  process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
print();
process.stdout.write(`\n${((Date.now() - started) / 1000).toFixed(0)} s; logs and data in ${work}\n`);
const bad = rows.some((r) => r.lost > 0 || r.duplicated > 0 || r.problems > 0);
log.end();
if (!bad && !process.env.DRILLS_KEEP) rmSync(work, { recursive: true, force: true });
process.exit(bad ? 1 : 0);
