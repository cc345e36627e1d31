/**
 * `npm run bench`: every benchmark, in order, in one run, then each performance target with met / MISSED; the exit
 * code is 1 when any is missed. Adding a benchmark is one entry: its name and how to run it (it prints its own
 * figures) and the targets it is judged by. `BENCH=startup,ack npm run bench` runs only the benchmarks named.
 */
// Each benchmark's module is loaded when it runs, so `BENCH=…` loads only what the benchmarks named need.
const ack = async () => (await import('./ack.js')).run();
const bulk = async () => (await import('./bulk.js')).run();
const contacts = async () => (await import('./contacts.js')).run();
const latency = async () => (await import('./latency.js')).run();
const onboarding = async () => (await import('./onboarding.js')).run();
const scaleout = async () => (await import('./scaleout.js')).run();
const startup = async () => (await import('./startup.js')).run();

interface Target {
  what: string;
  figure: string;
  goal: string;
  met: boolean;
}

const ratio = (n: number) => `${n.toFixed(2)}×`;
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} ms` : 'never');

const benchmarks: [name: string, run: () => Promise<Target[]>][] = [
  [
    'startup',
    async () => {
      const { npmStartRatio: npmStart, readyRatio: ready, rssRatio: rss } = await startup();
      return [
        { what: '`npm start` to ready / SDK bot', figure: ratio(npmStart), goal: '≤ 1.60×', met: npmStart <= 1.6 },
        { what: 'the bot alone to ready / SDK bot', figure: ratio(ready), goal: '≤ 1.60×', met: ready <= 1.6 },
        { what: 'idle RSS / SDK bot', figure: ratio(rss), goal: '≤ 1.15×', met: rss <= 1.15 },
      ];
    },
  ],
  [
    'ack',
    async () => {
      const r = await ack();
      const valid = r.invalid === 0;
      const peak = r.peakRssMb.ours / r.peakRssMb.sdk;
      return [
        { what: 'peak RSS under ack / SDK path', figure: ratio(peak), goal: '≤ 1.00×', met: peak <= 1 },
        {
          what: 'ack throughput / SDK path',
          figure: ratio(r.oursPerSdk),
          goal: '≥ 1.50×',
          met: valid && r.oursPerSdk >= 1.5,
        },
        {
          what: 'ack throughput / bare express',
          figure: ratio(r.oursPerExpress),
          goal: '≥ 0.90×',
          met: valid && r.oursPerExpress >= 0.9,
        },
        { what: 'p99 at 1,000 events/s', figure: `${r.fixedP99} ms`, goal: '≤ 20 ms', met: valid && r.fixedP99 <= 20 },
      ];
    },
  ],
  [
    'latency',
    async () => {
      const { rates, over } = await latency();
      const at = (rate: number) => rates.find((r) => r.rate === rate)!;
      const [slow, fast] = [at(20), at(50)];
      const x = (ours: number, sdk: number) => ours / sdk;
      const drained = over.ours.repliesPerSecond / over.limitPerSecond;
      return [
        {
          what: 'push → reply p50 at 20/s / SDK inline bot',
          figure: `${ratio(x(slow.ours.p50, slow.sdk.p50))} (${slow.ours.p50.toFixed(1)} vs ${slow.sdk.p50.toFixed(1)} ms)`,
          goal: '≤ 1.50×',
          met: x(slow.ours.p50, slow.sdk.p50) <= 1.5 && slow.ours.lost === 0,
        },
        {
          what: 'push → reply p99 at 20/s / SDK inline bot',
          figure: `${ratio(x(slow.ours.p99, slow.sdk.p99))} (${slow.ours.p99.toFixed(1)} vs ${slow.sdk.p99.toFixed(1)} ms)`,
          goal: '≤ 1.50×',
          met: x(slow.ours.p99, slow.sdk.p99) <= 1.5 && slow.ours.lost === 0,
        },
        {
          what: 'push → reply p99 at 50/s / SDK inline bot, every command; ours lost, 429s',
          figure: `${ratio(x(fast.ours.p99, fast.sdk.p99))} (${ms(fast.ours.p99)} vs ${ms(fast.sdk.p99)}; sdk ${fast.sdk.refused} × 429), ${fast.ours.lost} lost, ${fast.ours.refused} × 429`,
          goal: '≤ 2.00×, 0 lost, 0 × 429',
          met:
            x(fast.ours.p99, fast.sdk.p99) <= 2 &&
            fast.ours.lost === 0 &&
            fast.ours.refused === 0 &&
            fast.ours.duplicated === 0,
        },
        {
          // The same without the SDK bot's refused replies (they wait for Feishu's re-push, 15 s later).
          what: 'push → reply p99 at 50/s / SDK inline bot, its pushes acknowledged at once',
          figure: `${ratio(x(fast.ours.p99, fast.sdk.p99FirstPush))} (${ms(fast.ours.p99)} vs ${ms(fast.sdk.p99FirstPush)})`,
          goal: '≤ 2.00×',
          met: x(fast.ours.p99, fast.sdk.p99FirstPush) <= 2,
        },
        {
          what: `${over.rate}/s: our replies drain at the limit; inline bot refused`,
          figure: `${(drained * 100).toFixed(0)} % of ${over.limitPerSecond}/s, ${over.ours.refused} × 429, ${over.ours.lost} lost; sdk ${over.sdk.refused} refused`,
          goal: '≥ 95 %, 0 × 429, 0 lost',
          met: drained >= 0.95 && over.ours.refused === 0 && over.ours.lost === 0 && over.ours.duplicated === 0,
        },
      ];
    },
  ],
  [
    'contacts',
    async () => {
      const results = await contacts();
      console.table(results);
      const limited = results[0]!;
      return [
        {
          what: 'bulk provisioning: rate of the documented bound, 429s',
          figure: `${(limited.ofLimit * 100).toFixed(0)} %, ${limited.http429} × 429, ${limited.failed} failed`,
          goal: '≥ 95 %, 0 × 429',
          met: limited.ofLimit >= 0.95 && limited.http429 === 0 && limited.failed === 0,
        },
      ];
    },
  ],
  [
    'bulk',
    async () => {
      const r = await bulk();
      console.table([r]);
      return [
        {
          what: '/bulk contacts: rows/min of the binding limit, 429s',
          figure: `${(r.ofLimit * 100).toFixed(0)} %, ${r.http429} × 429, ${r.created}/${r.rows} rows`,
          goal: '≥ 95 %, 0 × 429',
          met: r.ofLimit >= 0.95 && r.http429 === 0 && r.created === r.rows,
        },
      ];
    },
  ],
  [
    'onboarding',
    async () => {
      const r = await onboarding();
      console.table([r]);
      return [
        {
          what: 'onboarding 50 hires: all finished, 429s',
          figure: `${r.finished}/${r.hires} finished, ${(r.ofBound * 100).toFixed(0)} % of ${r.bound}, ${r.http429} × 429`,
          goal: 'all finished, 0 × 429',
          met: r.finished === r.hires && r.http429 === 0,
        },
      ];
    },
  ],
  [
    'scaleout',
    async () => {
      await scaleout();
      return [];
    },
  ],
];

const only = process.env.BENCH?.split(',').map((n) => n.trim());
const unknown = only?.filter((n) => !benchmarks.some(([name]) => name === n)) ?? [];
if (unknown.length) {
  console.error(`BENCH: unknown ${unknown.join(', ')}: use ${benchmarks.map(([name]) => name).join(', ')}`);
  process.exit(2);
}
const targets: Target[] = [];
for (const [name, run] of benchmarks.filter(([name]) => !only || only.includes(name))) {
  console.log(`\n== ${name} ==`);
  const started = performance.now();
  targets.push(...(await run()));
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

console.log('\n== targets ==');
const width = Math.max(...targets.map((t) => t.what.length));
for (const t of targets)
  console.log(`  ${t.met ? 'met   ' : 'MISSED'}  ${t.what.padEnd(width)}  ${t.figure.padStart(12)}   target ${t.goal}`);
const missed = targets.filter((t) => !t.met).length;
console.log(missed ? `\n${missed} of ${targets.length} targets missed` : `\nall ${targets.length} targets met`);
process.exitCode = missed ? 1 : 0;
