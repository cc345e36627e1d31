/** Every command family, registered on the app in one place. */
import type { App } from '../src/app.js';

export function registerHandlers(_app: App): void {
  // Handler families register here as they land (group, mailgroup, contact, …).
}
