/** Every command family, registered on the app in one place. */
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import { registerApprovals, type ApprovalDeps } from './approvals.js';
import { registerContact } from './contact.js';
import { registerDraft } from './draft.js';
import { registerGroup } from './group.js';
import { registerLogin } from './login.js';
import { registerMail } from './mail.js';
import { registerMailRelease } from './mail-release.js';
import { registerMailgroup } from './mailgroup.js';
import { registerOffboard } from './offboard.js';
import { registerOnboard } from './onboard.js';
import { registerUndo } from './undo.js';
import { registerAudit } from './audit.js';
import { registerWhoami } from './whoami.js';
import { registerBulk } from './bulk.js';
import type { MailAuth } from './sign-in.js';

export { utcTime, type MailAuth } from './sign-in.js';
export { createDraftFor, type CreatedDraft, type DraftInput } from './draft-records.js';

/**
 * `auth`: OAuth sign-in and the token vault; without it the commands that act as a user are not offered.
 * `sealer`: seals what the mail handlers keep of a mail (draft records, remembered answers) before it is stored.
 * `approvals`: the store, ports and inbox approvals act with; without it no command waits for an approval (tests of
 * other families). Returns the approvals' sweep (expiry, approved requests that never ran), which the bot runs.
 */
export function registerHandlers(
  app: App,
  deps: { auth?: MailAuth; sealer: Sealing; approvals?: Omit<ApprovalDeps, 'sealer'> },
): { sweepApprovals(): Promise<void> } {
  registerGroup(app);
  registerMailgroup(app);
  registerContact(app, deps.auth);
  if (deps.auth) {
    registerLogin(app, deps.auth);
    registerDraft(app, { auth: deps.auth, sealer: deps.sealer });
    registerMail(app, deps.auth, deps.sealer);
    registerMailRelease(app, { auth: deps.auth, sealer: deps.sealer });
  }
  registerOnboard(app, deps.sealer, deps.auth);
  registerOffboard(app);
  registerUndo(app);
  registerAudit(app);
  registerWhoami(app, deps.auth);
  registerBulk(app);
  const approvals = deps.approvals && registerApprovals(app, { ...deps.approvals, sealer: deps.sealer });
  return { sweepApprovals: async () => approvals?.sweep() };
}
