/**
 * SIGTERM with requests in flight. Every request already sent gets an answer (200 for those
 * accepted before the signal, 503 for those after, so Feishu re-pushes them); none meets a reset connection, and
 * the process exits 0 once it has answered.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as pause } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cardAction, ENCRYPT_KEY, eventPush, messageEvent, VERIFICATION_TOKEN } from './helpers/feishu-push.js';

describe('SIGTERM under load', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'shutdown-'));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('answers every request in flight (no connection reset), refuses new pushes with 503, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'helpers/shutdown-bot.ts'), dataDir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [url] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const post = (i: number) => {
      const card = i % 2 === 0;
      const envelope = card
        ? cardAction({
            token: VERIFICATION_TOKEN,
            eventId: `ev_c${i}`,
            updateToken: `c-${'a'.repeat(40)}`,
            value: { n: i },
          })
        : messageEvent({ token: VERIFICATION_TOKEN, eventId: `ev_m${i}`, messageId: `om_m${i}` });
      const p = eventPush(envelope, { encryptKey: ENCRYPT_KEY });
      return fetch(`${url}/webhook/${card ? 'card' : 'event'}`, {
        method: 'POST',
        headers: p.headers,
        body: p.body,
      }).then(
        (r) => r.status,
        (e: Error) => `${e.message} ${String((e.cause as { code?: string } | undefined)?.code)}`,
      );
    };
    expect(await post(1_000)).toBe(200);
    const before = Array.from({ length: 40 }, (_, i) => post(i));
    // The card callbacks take 300 ms: the signal finds them (and whatever else is not answered yet) in flight.
    await pause(100);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    // Once it says it is shutting down, pushes are refused with 503 rather than left to a reset.
    while ((await fetch(`${url}/healthz`)).status !== 503) await pause(10);
    const after = Array.from({ length: 10 }, (_, i) => post(100 + i));

    const answered = await Promise.all(before);
    for (const status of answered) expect([200, 503]).toContain(status);
    expect(answered.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(await Promise.all(after)).toEqual(Array(10).fill(503));
    const [code] = (await exited) as [number];
    expect(code).toBe(0);
  }, 30_000);
});
