/**
 * End-to-end latency, push → reply card, ours against the SDK's inline bot, each on an emulator of its own (the Feishu
 * side, in this process, enforcing the documented reply limits: 50/s and 1000/min per app, 5/s per chat):
 *   ours  the bot as deployed (node <npm start's flags> dist/src/main.js, SQLite): acknowledges once the push is
 *         durable, then an inbox worker runs `/help help` and replies with its card through the rate-limited client
 *   sdk   bench/sdk-bot.ts: EventDispatcher + client.im.v1.message.reply, inline, before the 200, with the very card
 *         ours answered its warm-up with (so the emulator parses and checks the same bytes for both)
 * Users send commands evenly spaced at a fixed rate, spread over many users, in their p2p chats and (with @bot) in group
 * chats, at most 2.5/s per chat. Latency = from the moment the emulator starts the push to the moment it stores the
 * reply. Every round gets fresh emulators and bots (Feishu's minute window would carry one round's replies into the
 * next) and a warm-up, then drives both bots at once, command for command, so a busy spell of the machine hits both.
 * Above the limits (200/s, one bot after the other) the inline bot's replies are refused (counted) while ours are
 * spread at the documented rate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import type { EventRecord } from '../src/emulator/delivery.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { ROOT, startFlags } from './deployed.js';
import { freePort } from './startup.js';

const KINDS = ['ours', 'sdk'] as const;
type Kind = (typeof KINDS)[number];

const ENCRYPT_KEY = 'bench-encrypt-key-7Rq';
const VERIFICATION_TOKEN = 'bench-vtoken-K2p';
/** The documented app-wide reply rate ("回复消息": 50/s, 1000/min); the per-chat 5/s is kept by spreading the chats. */
const REPLY_LIMIT_PER_SECOND = 50;
const USERS = 100;
const GROUPS = 40;
const COMMAND = '/help help';

export interface LatencyOptions {
  /** Rates (commands/s) measured against their targets, each for `seconds`. */
  rates?: number[];
  seconds?: number;
  /** Rounds per rate and bot, each on fresh emulators and bots. */
  rounds?: number;
  /** The rate above the limits and how long it is offered. */
  overRate?: number;
  overSeconds?: number;
}

export interface Round {
  kind: Kind;
  rate: number;
  sent: number;
  replied: number;
  /** Commands that got more than one reply. */
  duplicated: number;
  /** Reply calls Feishu refused for a rate limit (HTTP 429 / 99991400, or 230020). */
  refused: number;
  /** Push → first reply of every command sent, ms; Infinity for one never answered. */
  latencies: number[];
  /** The same for the commands whose first push was answered 200 (the others wait for Feishu's re-push). */
  firstPush: number[];
  /** When each replied command got its first reply, ascending (performance.now()). */
  replyTimes: number[];
}

export interface RateResult {
  rate: number;
  ours: Stats;
  sdk: Stats;
}

export interface Stats {
  /** Over every command sent, an unanswered one counting as never answered (Infinity). */
  p50: number;
  p99: number;
  /** p99 over the commands whose first push was acknowledged: what the inline bot's refusals leave out. */
  p99FirstPush: number;
  sent: number;
  replied: number;
  lost: number;
  duplicated: number;
  refused: number;
}

export interface OverResult {
  rate: number;
  /** The documented reply rate the bot's replies should drain at. */
  limitPerSecond: number;
  seconds: number;
  ours: Stats & { repliesPerSecond: number };
  sdk: Stats;
}

export interface LatencyResult {
  rates: RateResult[];
  over: OverResult;
}

// ---- the two bots, each a process of its own ----

interface Running {
  url: string;
  proc: ChildProcess;
  dataDir: string;
}

async function startBot(kind: Kind, emu: Emulator, card?: string): Promise<Running> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `bench-latency-${kind}-`));
  const args =
    kind === 'ours' ? [...startFlags(), join(ROOT, 'dist/src/main.js')] : [join(ROOT, 'dist/bench/sdk-bot.js')];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      FEISHU_APP_ID: emu.state.app.appId,
      FEISHU_APP_SECRET: emu.state.app.appSecret,
      FEISHU_DOMAIN: emu.url,
      FEISHU_ENCRYPT_KEY: ENCRYPT_KEY,
      FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      TOKEN_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
      METRICS_TOKEN: 'bench-metrics-token-0123456789',
      // As deployed: ours logs every accepted event at info (to /dev/null here); the SDK logs errors.
      LOG_LEVEL: 'info',
      ...(card === undefined ? {} : { SDK_BOT_CARD: card }),
    },
    // The SDK logs every refused reply with its whole HTTP exchange: the emulator counts them instead.
    stdio: ['ignore', 'ignore', kind === 'sdk' ? 'ignore' : 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${kind} bot exited with ${proc.exitCode} before it was ready`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (performance.now() - started > 30_000) {
      proc.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`${kind} bot not ready after 30 s`);
    }
    await pause(20);
  }
  emu.delivery.configure({
    eventUrl: `${url}/webhook/event`,
    encryptKey: ENCRYPT_KEY,
    verificationToken: VERIFICATION_TOKEN,
  });
  return { url, proc, dataDir };
}

async function stopBot(b: Running): Promise<void> {
  if (b.proc.exitCode === null) {
    b.proc.kill('SIGTERM');
    await Promise.race([once(b.proc, 'exit'), pause(10_000)]);
    if (b.proc.exitCode === null && b.proc.signalCode === null) b.proc.kill('SIGKILL');
  }
  rmSync(b.dataDir, { recursive: true, force: true });
}

// ---- the Feishu side ----

interface Sender {
  openId: string;
  /** A group chat (the message then @mentions the bot), or the user's p2p chat. */
  chatId?: string;
}

/** Users with the load spread over them: half the commands in p2p chats, half in group chats with the bot. */
function populate(emu: Emulator): Sender[] {
  const { state } = emu;
  const users = Array.from({ length: USERS }, (_, i) =>
    state.addUser({ name: `压测${i}`, enName: `Load Tester ${i}`, department: 'ops' }),
  );
  const groups = Array.from({ length: GROUPS }, (_, g) => {
    const chatId = `oc_${'bench'.padEnd(26, '0')}${String(g).padStart(6, '0')}`;
    const members = users.filter((_, i) => i % GROUPS === g).map((u) => u.open_id);
    state.chats.set(chatId, {
      chatId,
      chatMode: 'group',
      chatType: 'private',
      name: `压测群 ${g}`,
      description: '',
      ownerId: members[0]!,
      ownerIdType: 'open_id',
      members: new Set(members),
      managers: new Set(),
      bots: new Set([state.app.appId]),
      removedMembers: [],
      createdAt: state.now(),
      settings: {},
    });
    return chatId;
  });
  // Alternating p2p and group: consecutive commands come from different users and land in different chats.
  return users.flatMap((u, i) => [{ openId: u.open_id }, { openId: u.open_id, chatId: groups[i % GROUPS] }]);
}

/** Reply times by the message replied to, as the emulator stores each reply (performance.now()). */
function watchReplies(emu: Emulator): Map<string, number[]> {
  const replies = new Map<string, number[]>();
  const { state } = emu;
  const add = state.addMessage.bind(state);
  state.addMessage = (m) => {
    const msg = add(m);
    if (m.sender.type === 'app' && m.parentId) {
      const at = performance.now();
      const list = replies.get(m.parentId);
      if (list) list.push(at);
      else replies.set(m.parentId, [at]);
    }
    return msg;
  };
  return replies;
}

const RATE_LIMITED = new Set([99991400, 230020]);

interface Side {
  kind: Kind;
  emu: Emulator;
  bot: Running;
  senders: Sender[];
  replies: Map<string, number[]>;
  next: number;
}

/** `rate` commands a second, evenly spaced, for `seconds`; then waits up to `settleMs` after the last for replies. */
export async function drive(side: Side, rate: number, seconds: number, settleMs: number): Promise<Round> {
  const { emu, senders, replies } = side;
  const calls = emu.kit.calls.length ? emu.kit.calls[emu.kit.calls.length - 1]!.seq : 0;
  const sent = new Map<string, { at: number; event?: EventRecord }>();
  const total = Math.round(rate * seconds);
  const period = 1000 / rate;
  const start = performance.now();
  for (let i = 0; i < total;) {
    const due = Math.min(total, Math.floor((performance.now() - start) / period) + 1);
    for (; i < due; i++) {
      const s = senders[side.next++ % senders.length]!;
      const at = performance.now();
      const { messageId, event } = emu.delivery.sendMessage({
        from: s.openId,
        text: s.chatId ? `@bot ${COMMAND}` : COMMAND,
        ...(s.chatId ? { chatId: s.chatId } : {}),
      });
      sent.set(messageId, { at, ...(event ? { event } : {}) });
    }
    await pause(1);
  }
  const lastSent = performance.now();
  const answered = () => [...sent.keys()].every((id) => replies.has(id));
  while (!answered() && performance.now() - lastSent < settleMs) await pause(20);
  // The inline bot answers a push after its reply: wait for those answers too (Feishu's deadline is 3 s).
  const pushing = () => [...sent.values()].some((s) => s.event?.attempts.length === 0);
  while (pushing() && performance.now() - lastSent < settleMs + 3500) await pause(20);
  const latencies: number[] = [];
  const firstPush: number[] = [];
  const replyTimes: number[] = [];
  let duplicated = 0;
  for (const [id, { at, event }] of sent) {
    const r = replies.get(id);
    const ms = r ? r[0]! - at : Infinity;
    latencies.push(ms);
    if (event?.attempts[0]?.status === 200) firstPush.push(ms);
    if (!r) continue;
    replyTimes.push(r[0]!);
    if (r.length > 1) duplicated++;
  }
  const refused = emu.kit.calls.filter(
    (c) => c.seq > calls && c.path.endsWith('/reply') && (c.status === 429 || RATE_LIMITED.has(c.code ?? 0)),
  ).length;
  return {
    kind: side.kind,
    rate,
    sent: total,
    replied: latencies.filter(Number.isFinite).length,
    duplicated,
    refused,
    latencies,
    firstPush,
    replyTimes: replyTimes.sort((a, b) => a - b),
  };
}

/** What ours answered `/help help` with: the card the SDK bot then replies with too. */
function answeredCard(emu: Emulator): string {
  const reply = [...emu.state.messages.values()].findLast(
    (m) => m.sender.type === 'app' && m.parentId && m.msgType === 'interactive',
  );
  if (!reply) throw new Error('ours answered no warm-up command with a card');
  return reply.content;
}

/**
 * Fresh emulators and bots, warmed up (JIT, tenant token, bot info, the SDK loaded) with a few commands. Ours first:
 * the SDK bot replies with the card ours answered its warm-up with.
 */
export async function setUp(): Promise<Side[]> {
  // Whatever started is stopped again if anything fails, so no bot outlives the run.
  const sides: Side[] = [];
  try {
    let card: string | undefined;
    for (const kind of KINDS) {
      const emu = await startEmulator();
      const senders = populate(emu);
      const replies = watchReplies(emu);
      let bot: Running;
      try {
        bot = await startBot(kind, emu, card);
      } catch (e) {
        await emu.close();
        throw e;
      }
      const side: Side = { kind, emu, bot, senders, replies, next: 0 };
      sides.push(side);
      const warm = await drive(side, 10, 2, 5000);
      if (warm.replied < warm.sent)
        throw new Error(`${side.kind} bot answered ${warm.replied}/${warm.sent} warm-up commands`);
      card ??= answeredCard(emu);
    }
    return sides;
  } catch (e) {
    await tearDown(sides);
    throw e;
  }
}

export async function tearDown(sides: Side[]): Promise<void> {
  for (const s of sides) {
    await stopBot(s.bot);
    await s.emu.close();
  }
}

/** Replies a second once the first window's are out: from the limit-th reply to the last. */
function steadyRate(times: number[]): number {
  const n = times.length - REPLY_LIMIT_PER_SECOND;
  return n > 0 ? n / ((times[times.length - 1]! - times[REPLY_LIMIT_PER_SECOND - 1]!) / 1000) : Number.NaN;
}

const percentile = (xs: number[], p: number): number => {
  if (!xs.length) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

function stats(rounds: Round[]): Stats {
  const latencies = rounds.flatMap((r) => r.latencies);
  const sum = (f: (r: Round) => number) => rounds.reduce((n, r) => n + f(r), 0);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    p99FirstPush: percentile(
      rounds.flatMap((r) => r.firstPush),
      99,
    ),
    sent: sum((r) => r.sent),
    replied: sum((r) => r.replied),
    lost: sum((r) => r.sent - r.replied),
    duplicated: sum((r) => r.duplicated),
    refused: sum((r) => r.refused),
  };
}

const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'never');
const line = (kind: Kind, s: Stats) =>
  `  ${kind.padEnd(5)} p50 ${ms(s.p50).padStart(9)}  p99 ${ms(s.p99).padStart(9)}` +
  `${s.p99FirstPush === s.p99 ? '' : ` (${ms(s.p99FirstPush)} over the pushes acknowledged at once)`}` +
  `  replied ${s.replied}/${s.sent}${s.duplicated ? `  ${s.duplicated} DUPLICATED` : ''}  ${s.refused} × rate-limited`;

export async function run(o: LatencyOptions = {}): Promise<LatencyResult> {
  const rates = o.rates ?? [20, 50];
  const seconds = o.seconds ?? 10;
  const rounds = o.rounds ?? 2;
  const overRate = o.overRate ?? 200;
  const overSeconds = o.overSeconds ?? 4;
  console.log(
    `push → reply card: ${rates.join(' and ')} commands/s for ${seconds} s, ${rounds} rounds each (fresh emulators and ` +
      `bots per round, both driven at once), then ${overRate}/s for ${overSeconds} s; ${USERS} users, half of the ` +
      `commands in their p2p chats, half in ${GROUPS} group chats; ${loadavg()[0]!.toFixed(1)} load average at the start`,
  );
  const results: RateResult[] = [];
  for (const rate of rates) {
    const rs: Round[] = [];
    for (let r = 0; r < rounds; r++) {
      const sides = await setUp();
      if (!results.length && !r)
        console.log(
          `  both bots reply with the card ours answers \`${COMMAND}\` with: ${answeredCard(sides[0]!.emu).length} bytes of JSON`,
        );
      try {
        // Both at once, command for command: a busy spell of the shared machine hits both bots alike.
        const both = await Promise.all(sides.map((side) => drive(side, rate, seconds, 10_000)));
        for (const round of both) {
          rs.push(round);
          console.log(`  ${rate}/s round ${r + 1}${line(round.kind, stats([round]))}`);
        }
      } finally {
        await tearDown(sides);
      }
    }
    const result = {
      rate,
      ours: stats(rs.filter((x) => x.kind === 'ours')),
      sdk: stats(rs.filter((x) => x.kind === 'sdk')),
    };
    results.push(result);
    console.log(`  ${rate}/s, all rounds:\n${line('ours', result.ours)}\n${line('sdk', result.sdk)}`);
  }

  // Above the limits: ours must queue the replies and send them at the documented rate; the inline bot cannot.
  const sides = await setUp();
  let over: OverResult;
  try {
    const [oursSide, sdkSide] = sides as [Side, Side];
    const total = overRate * overSeconds;
    const oursRound = await drive(oursSide, overRate, overSeconds, (total / REPLY_LIMIT_PER_SECOND) * 1000 + 10_000);
    // The inline bot's refused replies fail their pushes, which Feishu re-pushes only after 15 s: not waited for.
    const sdkRound = await drive(sdkSide, overRate, overSeconds, 3000);
    over = {
      rate: overRate,
      seconds: overSeconds,
      ours: { ...stats([oursRound]), repliesPerSecond: steadyRate(oursRound.replyTimes) },
      limitPerSecond: REPLY_LIMIT_PER_SECOND,
      sdk: stats([sdkRound]),
    };
  } finally {
    await tearDown(sides);
  }
  console.log(
    `  ${overRate}/s for ${overSeconds} s (over the ${REPLY_LIMIT_PER_SECOND}/s limit):\n${line('ours', over.ours)}` +
      `  (${over.ours.repliesPerSecond.toFixed(1)} replies/s after the first second's ${REPLY_LIMIT_PER_SECOND})\n${line('sdk', over.sdk)}`,
  );
  return { rates: results, over };
}
