/**
 * Runs drills one after another and prints one table; resolves with the exit code: 0 when every row is clean, 1
 * when a row lost, duplicated or found a problem (or its drill threw: the row says so), 2 for a drill name it does
 * not know (nothing runs). Whatever happens (a drill that throws, SIGINT, SIGTERM, an uncaught error), the
 * processes a drill started are killed with their process groups before the runner exits or the next drill starts.
 */
import { rmSync } from 'node:fs';
import { endDrill, failed, killChildren, log, row, workDir, type Row } from './kit.js';

export interface Drill {
  /** What DRILLS= names it by. */
  name: string;
  run(): Promise<Row | Row[]> | Row | Row[];
}

type Result = Row & { name: string };

function print(results: Result[]): void {
  const head = [
    '',
    'drill',
    'run alone',
    'tried',
    'completed',
    'reported failed',
    'lost',
    'duplicated',
    'rejected',
    'problems',
  ];
  const alone = (name: string) => `DRILLS=${name.includes(' ') ? `'${name}'` : name}`;
  const lines = results.map((r) =>
    [
      failed(r) ? '✗' : '✓',
      r.drill,
      alone(r.name),
      r.tried,
      r.completed,
      r.reportedFailed,
      r.lost,
      r.duplicated,
      r.rejected,
      r.problems,
    ].map(String),
  );
  const out = [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ];
  process.stdout.write(`\n${out.join('\n')}\n`);
  for (const r of results) if (r.note) process.stdout.write(`  ${r.drill}: ${r.note}\n`);
}

const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

/** `only`: DRILLS, comma-separated names; unset runs them all. */
export async function runDrills(drills: Drill[], only = process.env.DRILLS): Promise<number> {
  const wanted = only
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted?.filter((w) => !drills.some((d) => d.name === w)) ?? [];
  if (unknown.length) {
    process.stderr.write(
      `unknown drill ${unknown.map((u) => `"${u}"`).join(', ')}; the drills are: ${drills.map((d) => d.name).join(', ')}\n`,
    );
    return 2;
  }
  const started = Date.now();
  const results: Result[] = [];
  let current: string | undefined;
  // Past these, nothing of the drill's is awaited: its processes are killed and the table printed as it stands.
  const abort = (why: string, code: number) => {
    killChildren();
    if (current) results.push({ ...row({ drill: current, problems: 1, note: why }), name: current });
    print(results);
    process.stdout.write(`\n${why}: stopped; logs and data in ${workDir()}\n`);
    process.exit(code);
  };
  process.on('exit', killChildren);
  for (const [signal, code] of Object.entries(SIGNALS))
    process.once(signal, () => abort(`interrupted by ${signal}`, code));
  // The stack goes to stderr; the table's note keeps to the message.
  const crash = (what: string) => (err: unknown) => {
    process.stderr.write(`\n${(err as Error)?.stack ?? String(err)}\n`);
    abort(`${what}: ${(err as Error)?.message ?? String(err)}`, 1);
  };
  process.once('uncaughtException', crash('uncaught error'));
  process.once('unhandledRejection', crash('unhandled rejection'));

  for (const d of drills) {
    if (wanted && !wanted.includes(d.name)) continue;
    current = d.name;
    const t0 = Date.now();
    process.stderr.write(`drill: ${d.name}…`);
    let rows: Row[];
    try {
      rows = [await d.run()].flat();
    } catch (err) {
      process.stderr.write(`\n${(err as Error).stack ?? String(err)}\n`);
      rows = [row({ drill: d.name, problems: 1, note: `drill crashed: ${(err as Error).message ?? String(err)}` })];
    }
    const leftovers = await endDrill();
    if (leftovers.length)
      rows.push(row({ drill: `${d.name}: clean-up`, problems: leftovers.length, note: leftovers.join('; ') }));
    results.push(...rows.map((r) => ({ ...r, name: d.name })));
    current = undefined;
    process.stderr.write(` ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  print(results);
  process.stdout.write(`\n${((Date.now() - started) / 1000).toFixed(0)} s; logs and data in ${workDir()}\n`);
  const bad = results.some(failed);
  await new Promise((r) => log().end(r));
  if (!bad && !process.env.DRILLS_KEEP) rmSync(workDir(), { recursive: true, force: true });
  return bad ? 1 : 0;
}
