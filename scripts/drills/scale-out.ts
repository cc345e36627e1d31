/**
 * Scale-out under a store failure: two instances on one Redis, every push reaching both, and redis-server SIGKILLed
 * and restarted (appendfsync always) in the middle of the commands. Every /group create must take effect once, and
 * both instances must live through it.
 */
import { setTimeout as pause } from 'node:timers/promises';
import { commandRow, commands, n, redisPair, settle, type Row } from './kit.js';

export async function redisDrill(): Promise<Row> {
  const { redis, emu, bots } = await redisPair('drills-redis');
  const total = n(60);
  let restart: Promise<unknown> | undefined;
  const sent = await commands(emu, 'redis', total, async (i) => {
    await pause(15);
    // Down for a second: pushes meanwhile cannot be stored, and the bots' workers lose their connection.
    if (i === Math.floor(total / 2)) restart = redis.restart(1_000).catch((err: Error) => err.message);
  });
  const restartProblem = await restart;
  const t = await settle(emu, sent, 60_000);
  const exits = bots
    .filter((b) => !b.running)
    .map((b) => `an instance exited (${b.child.exitCode ?? b.child.signalCode})`);
  const problems = [...exits, ...(restartProblem ? [String(restartProblem)] : [])];
  return commandRow(`Redis, 2 instances, redis-server SIGKILLed and restarted mid-way, ${total} commands`, total, t, {
    problems: problems.length,
    note: problems,
  });
}
