/** Every command family, registered on the app in one place. */
import type { App } from '../src/app.js';
import { registerContact } from './contact.js';
import { registerDraft } from './draft.js';
import { registerGroup } from './group.js';
import { registerLogin } from './login.js';
import { registerMail } from './mail.js';
import { registerMailgroup } from './mailgroup.js';
import { registerOnboard } from './onboard.js';
import type { MailAuth } from './sign-in.js';

export { utcTime, type MailAuth } from './sign-in.js';
export { createDraftFor, type CreatedDraft, type DraftInput } from './draft.js';

/** `auth`: OAuth sign-in and the token vault; without it the commands that act as a user are not offered. */
export function registerHandlers(app: App, deps: { auth?: MailAuth } = {}): void {
  registerGroup(app);
  registerMailgroup(app);
  registerContact(app, deps.auth);
  if (deps.auth) {
    registerLogin(app, deps.auth);
    registerDraft(app, deps.auth);
    registerMail(app, deps.auth);
  }
  registerOnboard(app);
}
