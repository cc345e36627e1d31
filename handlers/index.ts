/** Every command family, registered on the app in one place. */
import type { App } from '../src/app.js';
import { registerContact } from './contact.js';
import { registerGroup } from './group.js';
import { registerMailgroup } from './mailgroup.js';
import { registerOnboard } from './onboard.js';

export function registerHandlers(app: App): void {
  registerGroup(app);
  registerMailgroup(app);
  registerContact(app);
  registerOnboard(app);
}
