/** The build step `npm start` runs in the bot's process before the bot loads (scripts/build.mjs). */
export const BUILD_STEP = '--import=./scripts/build.mjs';

/**
 * The node flags `npm start` runs the bot with, without its build step: the bot as deployed. package.json's start
 * script is the one place they are written; the benchmarks that measure ours as deployed (start-up, the ack server)
 * start it with these.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, from bench/ under tsx or dist/bench/ compiled. */
export const ROOT = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '..' : '../..', import.meta.url));

export function startFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: { start: string } };
  const m = /^node((?: --[\w-]+(?:=\S+)?)*) dist\/src\/main\.js$/.exec(scripts.start);
  if (!m) throw new Error(`package.json scripts.start is not "node [--flag …] dist/src/main.js": ${scripts.start}`);
  return m[1]!.split(' ').filter((f) => f && f !== BUILD_STEP);
}

/**
 * Flags for forking ours as deployed: this process's own (a loader such as tsx's), without an `-e`/`-p` script, which
 * fork drops only when it is given no execArgv (the child would run the script instead), then npm start's.
 */
export function forkFlags(): string[] {
  const own = process.execArgv.filter((a) => !/^--(eval|print)=/.test(a));
  const script = own.findIndex((a) => /^(-e|--eval|-p|--print|-pe)$/.test(a));
  if (script >= 0) own.splice(script, 2);
  return [...own, ...startFlags()];
}
