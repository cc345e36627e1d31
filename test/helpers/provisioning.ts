/** Reading the emulator's provisioning state (chats, mail groups, contacts) and driving it, for e2e tests and benches. */
import type { Emulator } from '../../src/emulator/index.js';
import { cardText } from './sandbox.js';

export interface EmulatedMailgroup {
  mailgroup_id: string;
  email: string;
  name: string;
  who_can_send_mail: string;
  members: { type: string; openId?: string }[];
}

export interface EmulatedContact {
  id: string;
  name: string;
  mail_address?: string;
  company?: string;
}

export function mailState(emulator: Emulator): {
  mailgroups: EmulatedMailgroup[];
  contacts: Record<string, EmulatedContact[]>;
} {
  return (
    emulator.state.snapshot() as {
      mail: { mailgroups: EmulatedMailgroup[]; contacts: Record<string, EmulatedContact[]> };
    }
  ).mail;
}

export const groupChats = (emulator: Emulator) =>
  [...emulator.state.chats.values()].filter((c) => c.chatMode === 'group');

export const userNamed = (emulator: Emulator, name: string) => {
  const u = emulator.state.users.find((x) => x.name === name);
  if (!u) throw new Error(`no seeded user ${name}`);
  return u;
};

/** POST /_emulator/<path> with a JSON body; throws with the emulator's message on 4xx. */
export async function control(emulator: Emulator, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${emulator.url}/_emulator/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw new Error(`/_emulator/${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Open API calls the emulator logged under a path prefix. */
export const callsTo = (emulator: Emulator, prefix: string, method = 'POST') =>
  emulator.kit.calls.filter((c) => c.method === method && c.path.startsWith(prefix));

/** Polls until `check` passes or `timeoutMs` runs out (then throws its last error). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** What a person reads on a card: its text with the markdown escapes (`&#95;` for `_`) decoded. */
export const readCard = (card: unknown): string =>
  cardText(card).replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
