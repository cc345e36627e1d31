/**
 * The node flags `npm start` runs the bot with. package.json's start script is the one place they are written; the
 * benchmarks that measure ours as deployed (start-up, the ack server) start it with these.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, from bench/ under tsx or dist/bench/ compiled. */
export const ROOT = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '..' : '../..', import.meta.url));

export function startFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { scripts: { start: string } };
  const m = /^node((?: --[\w-]+(?:=\S+)?)*) dist\/src\/main\.js$/.exec(scripts.start);
  if (!m) throw new Error(`package.json scripts.start is not "node [--flag …] dist/src/main.js": ${scripts.start}`);
  return m[1]!.split(' ').filter(Boolean);
}
