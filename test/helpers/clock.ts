import { realSleep } from '../../src/feishu/client/limits.js';

/** A clock running `scale` times faster than the real one (from `t0`: processes sharing a store share it), for the bot's gateway (limiter windows, backoff), to match the emulator's time scale. */
export function scaledClock(scale: number, t0 = Date.now()) {
  return { now: () => t0 + (Date.now() - t0) * scale, sleep: (ms: number) => realSleep(ms / scale) };
}
