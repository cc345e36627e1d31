/**
 * What the drills share: the table row, the child processes (bots, redis-server), tracked so that no exit path of
 * the runner leaves one behind, the worlds a drill runs in (an emulator, a data directory, bots), and the
 * `/group create` commands whose outcomes the crash-style drills count.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as pause } from 'node:timers/promises';
import type { EventRecord } from '../../src/emulator/delivery.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { startFanOut } from '../../test/helpers/fan-out.js';
import { startRedis, type RedisServer } from '../../test/helpers/redis-server.js';

const SCALE = Number(process.env.DRILL_SCALE ?? 1);
export const n = (base: number) => Math.max(1, Math.round(base * SCALE));

export interface Row {
  drill: string;
  tried: number;
  completed: number;
  reportedFailed: number;
  lost: number;
  duplicated: number;
  rejected: number;
  /** Failures of a drill's own kind (false failures, resets, throws, secrets found, injected recipients). */
  problems: number;
  note?: string;
}
export const row = (r: Partial<Row> & { drill: string }): Row => ({
  tried: 0,
  completed: 0,
  reportedFailed: 0,
  lost: 0,
  duplicated: 0,
  rejected: 0,
  problems: 0,
  ...r,
});
export const failed = (r: Row): boolean => r.lost > 0 || r.duplicated > 0 || r.problems > 0;

let dir: string | undefined;
let logStream: WriteStream | undefined;
/** The run's directory: the bots' log and data directories (kept when a drill fails). Made on first use. */
export const workDir = (): string => (dir ??= mkdtempSync(join(tmpdir(), 'drills-')));
export const logFile = (): string => join(workDir(), 'bot.log');
export const log = (): WriteStream => (logStream ??= createWriteStream(logFile(), { flags: 'a' }));

export const secrets = {
  encryptKey: randomBytes(16).toString('hex'),
  verificationToken: randomBytes(16).toString('hex'),
};
/** Every bot's TOKEN_ENCRYPTION_KEY: instances sharing a Redis read each other's sealed tokens. */
export const tokenKey = randomBytes(32).toString('hex');
/** User tokens the drills' emulators issued: the secret scan looks for them in the logs and data directories. */
export const issuedTokens: string[] = [];

// ---- child processes ----

const children = new Set<ChildProcess>();

/** SIGKILLs the process group: the child and whatever it started (tsx's esbuild service). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: nothing of the group is left.
  }
}

/**
 * Spawns `command` as the leader of a process group of its own, so that `killChildren` ends it with everything it
 * started; a group whose leader exited is killed at once, leaving no stray grandchild.
 */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: true });
  children.add(child);
  child.once('exit', () => {
    killGroup(child);
    children.delete(child);
  });
  child.once('error', (err) => {
    log().write(`${command}: ${err.message}\n`);
    children.delete(child);
  });
  return child;
}

/** Synchronous, so that an exit or signal handler can call it. */
export function killChildren(): void {
  for (const child of children) killGroup(child);
}

const cleanups: (() => Promise<unknown>)[] = [];
const CLEANUP_MS = 10_000;

/** Runs when the current drill ends, however it ends (after its processes were killed), last registered first. */
export function afterDrill(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

/** Ends the current drill's processes and closes what it opened; resolves with what could not be closed. */
export async function endDrill(): Promise<string[]> {
  killChildren();
  const problems: string[] = [];
  for (const fn of cleanups.splice(0).reverse()) {
    const late = pause(CLEANUP_MS, undefined, { ref: false }).then(() => {
      throw new Error(`a clean-up did not finish within ${CLEANUP_MS / 1000} s`);
    });
    await Promise.race([fn(), late]).catch((e: unknown) => problems.push(String((e as Error).message ?? e)));
  }
  return problems;
}

// ---- worlds ----

/** An emulator closed after the drill; the user tokens it issued are remembered for the secret scan. */
export async function emulator(o?: EmulatorOptions): Promise<Emulator> {
  const emu = await startEmulator(o);
  afterDrill(async () => {
    issuedTokens.push(...emu.state.userTokens.keys(), ...emu.state.refreshTokens.keys());
    await emu.close();
  });
  return emu;
}

/** A redis-server of the drill's own (tracked like the bots), stopped and removed after the drill. */
export async function redis(): Promise<RedisServer> {
  const server = await startRedis({ spawn: spawnTracked });
  afterDrill(() => server.stop());
  return server;
}

export const dataDir = (): string => mkdtempSync(join(workDir(), 'data-'));

/** Where the emulator pushes events and card callbacks: a bot's (or a fan-out's) webhooks, or the long connection. */
export function pointAt(emu: Emulator, url: string | 'websocket'): void {
  emu.delivery.configure(
    url === 'websocket'
      ? { transport: 'websocket', ...secrets }
      : { eventUrl: `${url}/webhook/event`, cardUrl: `${url}/webhook/card`, ...secrets },
  );
}

export interface BotSpec {
  /** app.config.json content; default: inbox concurrency 8, nothing else configured. */
  app?: unknown;
  /** FEISHU_TRANSPORT, REDIS_URL, REDIS_PREFIX for this bot (the runner's own environment never picks them). */
  env?: { FEISHU_TRANSPORT?: 'websocket'; REDIS_URL?: string; REDIS_PREFIX?: string };
  /** Point the emulator at this bot once it listens (default); false when a fan-out stands in front of it. */
  route?: boolean;
}

/** A bot as `scripts/drill-bot.ts` runs it, in its own process group. */
export class BotProcess {
  child!: ChildProcess;
  url!: string;
  constructor(
    private readonly emu: Emulator,
    private readonly dataDir: string,
    private readonly spec: BotSpec = {},
  ) {}

  async start(): Promise<this> {
    const { REDIS_URL: _u, REDIS_PREFIX: _p, FEISHU_TRANSPORT: _t, ...env } = process.env;
    const args = [
      join(import.meta.dirname, '../drill-bot.ts'),
      this.dataDir,
      this.emu.url,
      ...(this.spec.app ? [JSON.stringify(this.spec.app)] : []),
    ];
    this.child = spawnTracked(process.execPath, ['--import', 'tsx', ...args], {
      env: {
        ...env,
        ...this.spec.env,
        FEISHU_ENCRYPT_KEY: secrets.encryptKey,
        FEISHU_VERIFICATION_TOKEN: secrets.verificationToken,
        TOKEN_ENCRYPTION_KEY: tokenKey,
      },
      // stdin stays open: the bot exits when it closes, i.e. when the runner died in a way no handler sees (SIGKILL).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.pipe(log(), { end: false });
    const lines = createInterface({ input: this.child.stdout! });
    this.url = await new Promise<string>((resolve, reject) => {
      lines.on('line', (l) => {
        if (l.startsWith('DRILL_URL ')) resolve(l.slice(10));
        else log().write(`${l}\n`);
      });
      this.child.once('exit', (code) => reject(new Error(`drill bot exited with ${code} before listening`)));
    });
    if (this.spec.route !== false) pointAt(this.emu, this.spec.env?.FEISHU_TRANSPORT ?? this.url);
    return this;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill(signal);
    return exited;
  }
}

/** An emulator and one bot on a fresh data directory. */
export async function freshWorld(o: { emulator?: EmulatorOptions; bot?: BotSpec } = {}) {
  const emu = await emulator(o.emulator);
  const dir = dataDir();
  return { emu, dataDir: dir, bot: await new BotProcess(emu, dir, o.bot).start() };
}

/** Two bot instances sharing one Redis behind a fan-out, so that every push and every click reaches both. */
export async function redisPair(prefix: string) {
  const server = await redis();
  const emu = await emulator();
  const fan = await startFanOut([]);
  afterDrill(() => fan.close());
  const dir = dataDir();
  const bots = await Promise.all(
    [0, 1].map(() =>
      new BotProcess(emu, dir, { env: { REDIS_URL: server.url, REDIS_PREFIX: prefix }, route: false }).start(),
    ),
  );
  fan.targets.push(...bots.map((b) => b.url));
  pointAt(emu, fan.url);
  return { redis: server, emu, bots };
}

/**
 * POSTs; resolves with the HTTP status, or with the error's code (ECONNREFUSED, EPIPE…) when no answer could be
 * read. Never rejects: a refused request, even one whose connection the bot closed mid-body, is an answer.
 */
export const post = (
  url: string,
  body: string | Buffer | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
): Promise<number | string> =>
  fetch(url, { method: 'POST', headers, body, duplex: 'half' }).then(
    (r) => r.status,
    (e: Error) => (e.cause as { code?: string } | undefined)?.code ?? e.message,
  );

/** A body of `bytes` sent in 64 KiB chunks with no length announced: a receiver learns its size only by reading it. */
export function streamOf(bytes: number): ReadableStream<Uint8Array> {
  const chunk = Buffer.alloc(64 * 1024, 'A');
  let left = bytes;
  return new ReadableStream({
    pull(c) {
      if (left <= 0) return c.close();
      c.enqueue(chunk.subarray(0, Math.min(left, chunk.length)));
      left -= chunk.length;
    },
  });
}

// ---- /group create commands and their outcomes ----

export const replies = (emu: Emulator, messageId: string) =>
  [...emu.state.messages.values()].filter((m) => m.parentId === messageId && m.sender.type === 'app');
export const text = (card: unknown): string => JSON.stringify(card ?? {});

/** Seeded users who can run commands (visible, same tenant, not resigned). Commands go round them, one p2p chat each. */
export const SENDERS = ['张伟', '李娜', '王芳', '刘洋', '陈静', '杨磊'] as const;

export type Sent = { name: string; messageId: string; record?: EventRecord };

const headerOf = (card: unknown) =>
  (card as { header?: { template?: string; title?: { content?: string } } } | undefined)?.header;

/**
 * How the `/group create <name>` commands ended: one chat and one success card each, an error card (a false
 * failure when the chat was made), or still nothing final (no reply, or a "still working" card).
 */
export function tally(emu: Emulator, sent: Sent[]) {
  const byName = new Map<string, number>();
  for (const c of emu.state.chats.values())
    if (c.chatMode === 'group') byName.set(c.name, (byName.get(c.name) ?? 0) + 1);
  const t = {
    completed: 0,
    reportedFailed: 0,
    lost: 0,
    duplicated: 0,
    falseFailures: 0,
    pending: 0,
    failures: new Set<string>(),
  };
  for (const s of sent) {
    const r = replies(emu, s.messageId);
    const chats = byName.get(s.name) ?? 0;
    const header = headerOf(r[0]?.card);
    if (chats > 1 || r.length > 1) t.duplicated++;
    else if (r.length === 0) t.lost++;
    else if (text(r[0]?.card).includes('Group chat created') && chats === 1) t.completed++;
    else if (header?.template === 'red') {
      t.reportedFailed++;
      t.failures.add(header.title?.content ?? '');
      if (chats > 0) t.falseFailures++;
    } else t.pending++;
  }
  return t;
}

/** The table row of a batch of commands once settled: one still working at the deadline never got its answer. */
export function commandRow(
  drill: string,
  tried: number,
  t: ReturnType<typeof tally>,
  more: { problems?: number; note?: string[] } = {},
): Row {
  const note = [
    ...(t.pending ? [`${t.pending} answered "still working" and never finished`] : []),
    ...(t.reportedFailed ? [`failure cards: ${[...t.failures].join(', ')}`] : []),
    ...(more.note ?? []),
  ];
  return row({
    drill,
    tried,
    completed: t.completed,
    reportedFailed: t.reportedFailed,
    lost: t.lost + t.pending,
    duplicated: t.duplicated,
    problems: t.falseFailures + (more.problems ?? 0),
    ...(note.length ? { note: note.join('; ') } : {}),
  });
}

/**
 * Sends `/group create` commands, from SENDERS in turn (a chat takes 5 replies a second: one sender would make the
 * drill measure that limit), calling `during(i)` after each.
 */
export async function commands(emu: Emulator, prefix: string, count: number, during?: (i: number) => Promise<void>) {
  const sent: Sent[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    const { messageId, event } = emu.delivery.sendMessage({
      from: SENDERS[i % SENDERS.length]!,
      text: `/group create ${name}`,
    });
    sent.push({ name, messageId, ...(event ? { record: event } : {}) });
    await during?.(i);
  }
  return sent;
}

/**
 * Waits for every command to end. A push the bot never acknowledged (it was down) is pushed again every 3 s, standing
 * in for the later rungs of Feishu's retry ladder (5 min, 1 h, 6 h) that a drill cannot wait for.
 */
export async function settle(emu: Emulator, sent: Sent[], deadlineMs: number) {
  const until = Date.now() + deadlineMs;
  let t = tally(emu, sent);
  let nextPush = Date.now() + 3_000;
  while ((t.lost > 0 || t.pending > 0) && Date.now() < until) {
    await pause(250);
    if (Date.now() > nextPush) {
      nextPush = Date.now() + 3_000;
      for (const s of sent)
        if (s.record && s.record.state !== 'delivered')
          void emu.delivery.redeliver(s.record).then((a) => {
            if (a.status === 200) s.record!.state = 'delivered';
          });
    }
    t = tally(emu, sent);
  }
  return t;
}
