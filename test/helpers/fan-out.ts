/**
 * A fan-out in front of several bot instances: every push the emulator sends reaches each live instance at once,
 * the way two subscriptions or a mirroring balancer would deliver it twice. The first 2xx answer goes back to the
 * emulator; if none answers 2xx, the last failure does (and the emulator re-pushes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FanOut {
  url: string;
  /** The instances' base URLs; change it to add or drop one. */
  targets: string[];
  close(): Promise<void>;
}

export async function startFanOut(targets: string[]): Promise<FanOut> {
  const fan = { targets } as FanOut;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([k, v]) => typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k),
        ),
      ) as Record<string, string>;
      const forwards = fan.targets.map(async (t) => {
        const r = await fetch(t + (req.url ?? '/'), { method: req.method, headers, body });
        return { status: r.status, type: r.headers.get('content-type') ?? 'application/json', text: await r.text() };
      });
      const answer = (a: { status: number; type: string; text: string }) => {
        if (res.headersSent) return;
        res.writeHead(a.status, { 'content-type': a.type });
        res.end(a.text);
      };
      Promise.any(forwards.map((f) => f.then((a) => (a.status < 300 ? a : Promise.reject(a))))).then(
        answer,
        async () => {
          const settled = await Promise.allSettled(forwards);
          const last = settled
            .map((s) => (s.status === 'fulfilled' ? s.value : undefined))
            .filter((a) => a !== undefined)
            .pop();
          answer(last ?? { status: 502, type: 'application/json', text: '{"error":"no instance answered"}' });
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fan.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fan.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fan;
}
