/**
 * 50 new hires announced at once (contact.user.created_v3 from the emulator's new-hire route), each onboarded by the
 * shipped workflow on the demo sandbox: 6 steps, about 15 Open API calls and a progress card updated in place.
 * The binding documented limit is mail_contacts' 20/min (one contact per hire). Time scale 10: one emulated minute is
 * six real seconds, and the bot's Open API client (limiter, retries) runs on an emulator clock of the same scale, so
 * it keeps every documented limit, per chat included, as it is. (Scaling the limits to real time instead cannot be
 * exact: 20 per emulated minute is 20 per 6 real seconds, a window the limiter does not have.)
 * Reports hires finished per emulated minute against that bound, and the emulator's 429 count (target 0).
 *
 *   npx tsx bench/onboarding.ts [count]        or   import { run } from './onboarding.js'
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config.js';
import { realSleep } from '../src/feishu/client/limits.js';
import { EmulatorClock } from '../src/emulator/clock.js';
import { openIdFor } from '../src/emulator/seed.js';
import { loginUser } from '../src/emulator/testing.js';
import type { Emulator } from '../src/emulator/index.js';
import { startSandbox } from '../src/sandbox.js';

const BOUND_PER_MINUTE = 20;
const SCALE = 10;
const DEPARTMENTS = ['ops', 'eng', 'hr'] as const;
const LEADERS = { ops: '张伟', eng: '王芳', hr: '陈静' } as const;

export interface OnboardingBenchResult {
  hires: number;
  /** Runs whose six steps all ended done (or not applicable: HR hires get no team chat). */
  finished: number;
  realSeconds: number;
  /** Hires finished per emulated minute, from the first announcement to the last contact created. */
  hiresPerMinute: number;
  bound: string;
  ofBound: number;
  openApiCalls: number;
  http429: number;
}

export async function run(count = 50): Promise<OnboardingBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-onboarding-'));
  // The project root's config, whether this runs from bench/ (tsx) or compiled from dist/bench/ (npm run bench).
  const root = new URL(import.meta.url.includes('/dist/bench/') ? '../../' : '../', import.meta.url);
  const shipped = JSON.parse(readFileSync(new URL('app.config.json', root), 'utf8')) as Record<string, unknown>;
  // One lane per hire: each run is driven by its event's inbox worker.
  const config = parseConfig(
    { ...shipped, admins: [openIdFor('zhangwei')], inbox: { concurrency: count } },
    { LOG_LEVEL: 'silent' },
  );
  const clock = new EmulatorClock(SCALE);
  const gateway = { now: clock.now, sleep: (ms: number) => realSleep(clock.toRealMs(ms)) };
  // Tokens are asked for only once the sandbox runs.
  const world: { emulator?: Emulator } = {};
  const tokens = new Map<string, Promise<string>>();
  const token = async (openId: string) => {
    if (!world.emulator) return undefined;
    if (!tokens.has(openId))
      tokens.set(
        openId,
        loginUser(world.emulator, openId).then((t) => t.access_token),
      );
    return tokens.get(openId);
  };
  const sb = await startSandbox(config, {
    dataDir,
    timeScale: SCALE,
    demo: true,
    bot: { gateway, userTokens: { accessToken: token, refresh: token } },
  });
  world.emulator = sb.emulator;
  try {
    const startReal = performance.now();
    const startEmu = sb.emulator.state.now();
    const hires = Array.from({ length: count }, (_, i) => {
      const department = DEPARTMENTS[i % DEPARTMENTS.length]!;
      const user = sb.emulator.state.addUser({
        name: `新人${i}`,
        enName: `Hire ${i}`,
        department,
        leader: LEADERS[department],
        jobTitle: 'Engineer',
      });
      sb.delivery.userEvent('contact.user.created_v3', user);
      return user;
    });
    const finished = async () => {
      const runs = await Promise.all(hires.map((h) => sb.bot.app.workflows.get(`onboard:${h.open_id}`)));
      return runs.filter((r) => r?.steps.every((s) => s.status === 'done' || s.status === 'not_applicable')).length;
    };
    const deadline = Date.now() + 300_000;
    while ((await finished()) < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const realSeconds = (performance.now() - startReal) / 1000;
    const calls = sb.emulator.kit.calls.filter(
      (c) => c.path.startsWith('/open-apis/') && c.seq > 0 && c.at >= startEmu,
    );
    const contacts = calls.filter((c) => c.method === 'POST' && c.path.endsWith('/mail_contacts') && c.status === 200);
    const lastContact = Math.max(...contacts.map((c) => c.at));
    const done = await finished();
    const perMinute = contacts.length ? contacts.length / ((lastContact - startEmu) / 60_000) : 0;
    return {
      hires: count,
      finished: done,
      realSeconds: round(realSeconds),
      hiresPerMinute: round(perMinute),
      bound: `${BOUND_PER_MINUTE}/min (mail_contacts)`,
      ofBound: round(perMinute / BOUND_PER_MINUTE),
      openApiCalls: calls.length,
      http429: calls.filter((c) => c.status === 429).length,
    };
  } finally {
    await sb.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 50);
  const result = await run(count);
  console.log(`${count} hires onboarded at once, bound ${BOUND_PER_MINUTE}/min (mail_contacts), time scale ${SCALE}`);
  console.table([result]);
  const pass = result.http429 === 0 && result.finished === count && result.ofBound <= 1.2;
  console.log(pass ? 'PASS: every hire onboarded, zero 429s, within the bound' : 'FAIL: see the row above');
  process.exitCode = pass ? 0 : 1;
}
