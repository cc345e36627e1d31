/**
 * The drills runner (scripts/drills/runner.ts) with drills that go wrong, for test/drills-runner.test.ts:
 * `node --import tsx test/helpers/drill-runner.ts`, DRILLS picking them. `throws` and `hangs` start a real bot
 * process (scripts/drill-bot.ts) against an emulator, print `STARTED <pid>` on stderr and wait for a line on stdin;
 * then `throws` throws and `hangs` never returns (the test interrupts it).
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { freshWorld, row } from '../../scripts/drills/kit.js';
import { runDrills } from '../../scripts/drills/runner.js';

const go = createInterface({ input: process.stdin });
const startBot = async () => {
  const { bot } = await freshWorld();
  process.stderr.write(`STARTED ${bot.child.pid}\n`);
  await once(go, 'line');
};

process.exit(
  await runDrills([
    { name: 'passes', run: () => row({ drill: 'passes', tried: 1, completed: 1 }) },
    { name: 'loses', run: () => row({ drill: 'loses a command', tried: 1, lost: 1 }) },
    {
      name: 'throws',
      run: async () => {
        await startBot();
        throw new Error('the drill broke');
      },
    },
    {
      name: 'hangs',
      run: async () => {
        await startBot();
        return new Promise<never>(() => undefined);
      },
    },
  ]),
);
