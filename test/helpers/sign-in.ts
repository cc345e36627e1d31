/** Signing a user in through the bot's own /login card, as a person in a browser would. */
import type { Emulator } from '../../src/emulator/index.js';
import { readCard, userNamed } from './provisioning.js';

/** The link of a sign-in card's button. */
export const signInUrl = (card: unknown): string => {
  const found = JSON.stringify(card).match(/"default_url":"([^"]+)"/);
  if (!found?.[1]) throw new Error(`no sign-in link on ${readCard(card)}`);
  return found[1];
};

/** Opens the link as `who` in a browser would: the authorize page redirects to the bot's callback, which answers. */
export async function consent(emulator: Emulator, url: string, who: string): Promise<{ status: number; page: string }> {
  const page = new URL(url);
  page.searchParams.set('emulator_user', userNamed(emulator, who).open_id);
  const authorize = await fetch(page, { redirect: 'manual' });
  const location = authorize.headers.get('location');
  if (authorize.status !== 302 || !location) throw new Error(`authorize answered ${authorize.status}`);
  const callback = await fetch(location);
  return { status: callback.status, page: await callback.text() };
}
