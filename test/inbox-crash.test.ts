import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { eventPush, messageEvent } from './helpers/feishu-push.js';
import {
  ENCRYPT_KEY,
  eventually,
  fakeClock,
  RecordingHandler,
  startBot,
  VERIFICATION_TOKEN,
} from './helpers/intake-harness.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

it('processes, once each, every event a SIGKILLed bot acknowledged but had not finished', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'inbox-crash-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers/crash-bot.ts'), dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [url] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    for (let n = 1; n <= 5; n++) {
      const push = eventPush(messageEvent({ token: VERIFICATION_TOKEN, eventId: `ev_${n}`, messageId: `om_${n}` }), {
        encryptKey: ENCRYPT_KEY,
      });
      const res = await fetch(`${url}/webhook/event`, { method: 'POST', headers: push.headers, body: push.body });
      expect(await res.json()).toEqual({ msg: 'success' });
    }
  } finally {
    child.kill('SIGKILL');
  }
  await once(child, 'exit');

  // The next start, past the dead process's 30 s leases.
  const clock = fakeClock(Date.now() + 31_000);
  const handler = new RecordingHandler();
  const bot = await startBot({ dir, handler, clock });
  try {
    await eventually(async () => expect(await bot.store.pendingCount()).toBe(0));
    expect(handler.events.map((d) => d.dedupeKey).sort()).toEqual(['om_1', 'om_2', 'om_3', 'om_4', 'om_5']);
  } finally {
    await bot.stop();
  }
});
