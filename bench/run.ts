/**
 * `npm run bench`: every benchmark, in order, in one run. Adding one is one entry: its name and how to run and print it.
 */
import { run as ack } from './ack.js';
import { run as contacts } from './contacts.js';
import { run as scaleout } from './scaleout.js';

const benchmarks: [name: string, run: () => Promise<unknown>][] = [
  ['ack', () => ack()],
  ['contacts', async () => console.table(await contacts())],
  ['scaleout', () => scaleout()],
];

for (const [name, run] of benchmarks) {
  console.log(`\n== ${name} ==`);
  const started = performance.now();
  await run();
  console.log(`(${name}: ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
