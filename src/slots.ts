/**
 * Worker slots that a wait gives back. The inbox runs each item inside its slot; code about to wait for a rate window
 * or a retry (the Feishu client) wraps the wait in `parked`, so the slot runs other items meanwhile: work that needs
 * no throttled endpoint never queues behind work that does. Outside a slot (card callbacks) a wait is just a wait.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface Slot {
  /** The item stops counting against the worker limit until `unpark`. */
  park(): void;
  unpark(): void;
}

const current = new AsyncLocalStorage<Slot>();

export const runInSlot = <T>(slot: Slot, fn: () => Promise<T>): Promise<T> => current.run(slot, fn);

export async function parked<T>(wait: () => Promise<T>): Promise<T> {
  const slot = current.getStore();
  if (!slot) return wait();
  slot.park();
  try {
    return await wait();
  } finally {
    slot.unpark();
  }
}
