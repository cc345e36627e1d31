/**
 * `npm run bench`: every benchmark, in order, in one run. A benchmark is a module whose `run()` prints its own table.
 */
import { run as ack } from './ack.js';

const benchmarks: [name: string, run: () => Promise<unknown>][] = [
  ['ack', ack],
];

for (const [name, run] of benchmarks) {
  console.log(`\n== ${name} ==`);
  const started = performance.now();
  await run();
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
