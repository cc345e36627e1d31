/**
 * What an onboarding run did, as inverses: the chats the hire was added to, the team chat it made, the mail groups
 * and the contact, the welcome card. Its Undo (on the finished run's progress card) and offboarding's
 * reverse-onboarding take back exactly these; the welcome draft stays with its sender, who sends or discards it.
 */
import type { AppConfig } from '../src/config.js';
import { changeOf, saveNew, type Inverse } from '../src/changes/journal.js';
import { t } from '../src/i18n.js';
import { isFinished, type Run, type WorkflowEnv } from '../src/workflows/engine.js';
import { hireSchema } from './onboard-hire.js';

/** The change id of a run's undo record. */
export const runChangeId = (run: Run): string => `run:${run.id}`;

/** The inverses of a run's done steps, in the order the steps ran. */
export function runInverse(app: AppConfig, run: Run): Inverse[] {
  const hire = hireSchema.parse(run.input);
  const person = [{ openId: hire.openId, name: hire.name }];
  return run.steps.flatMap((state): Inverse[] => {
    const step = app.onboarding.steps.find((s) => s.id === state.id);
    if (state.status !== 'done' || !step) return [];
    const r = state.result ?? {};
    switch (step.kind) {
      case 'add-to-chats':
        return step.chats.map((chatId) => ({
          op: 'chat.members.remove',
          chatId,
          chatName: r[chatId] ?? chatId,
          users: person,
        }));
      case 'team-chat':
        return r.chatId
          ? [
              {
                op: 'chat.dissolve',
                chatId: r.chatId,
                // The step's detail is the chat's name as Feishu made it.
                name: typeof state.detail === 'string' ? state.detail : r.chatId,
              },
            ]
          : [];
      case 'mailgroups':
        return step.mailgroups.map((email) => ({
          op: 'mailgroup.members.remove',
          mailgroupId: email,
          email,
          users: person,
        }));
      case 'mail-contact':
        return r.contactId
          ? [{ op: 'contact.delete', mailbox: step.mailbox, contactId: r.contactId, name: hire.name }]
          : [];
      case 'welcome-card':
        return r.messageId
          ? [
              {
                op: 'message.recall',
                messageId: r.messageId,
                label: t('onboard.welcomeCardTo', { name: hire.name }),
              },
            ]
          : [];
      case 'welcome-draft':
        return [];
    }
  });
}

/** Once a run has finished, its undo record (made once: a later progress update leaves it as it is). */
export async function recordRunChange(env: WorkflowEnv, run: Run): Promise<string | undefined> {
  return isFinished(run) ? saveRunChange(env, run) : undefined;
}

/**
 * The run's undo record, made now if it was not (offboarding takes back a run that never finished, too): its id, or
 * undefined when the run did nothing to take back. The one record is shared with the run's Undo button, so what
 * either takes back is never taken back twice.
 */
export async function saveRunChange(env: WorkflowEnv, run: Run): Promise<string | undefined> {
  const inverse = runInverse(env.config.app, run);
  if (!inverse.length) return undefined;
  const hire = hireSchema.parse(run.input);
  const id = runChangeId(run);
  const change = changeOf(
    {
      id,
      actor: run.startedBy ?? env.config.app.onboarding.runAs ?? env.config.app.admins[0] ?? 'system',
      kind: 'onboard.run',
      rule: 'onboard',
      title: t('onboard.undoTitle', { name: hire.name }),
      at: run.updatedAt,
    },
    inverse,
  );
  await saveNew(env.store, change);
  return id;
}
