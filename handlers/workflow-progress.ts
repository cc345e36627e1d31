/**
 * A workflow run's progress card (onboarding, offboarding), posted in the workflow's admin chat and updated in place,
 * with Retry for failed steps (and steps a person had to finish) and Skip for each open one. Both buttons obey the
 * rule of the workflow's command: whoever may not run /onboard may not retry or skip its steps.
 */
import { z } from 'zod';
import { workflowProgressCard, type Card, type CardButton, type WorkflowKind } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import type { AppConfig } from '../src/config.js';
import { t } from '../src/i18n.js';
import { audited } from '../src/middleware/audited.js';
import type { Run, WorkflowEnv, Workflows } from '../src/workflows/engine.js';
import { effectKey } from './onboard-steps.js';

export interface ProgressOptions {
  /** The workflow, its command and its actions' family: 'onboard' → /onboard, onboard.retry, onboard.skip. */
  workflow: WorkflowKind;
  adminChat(app: AppConfig): string | undefined;
  /** Buttons a run's card offers besides Retry and Skip (onboarding: Undo once finished). */
  extra?(env: WorkflowEnv, run: Run): Promise<CardButton[]>;
}

export type WorkflowProgress = ReturnType<typeof workflowProgress>;

const gone = { toast: { type: 'error' as const, text: t('workflow.gone') } };

export function workflowProgress(o: ProgressOptions) {
  const retryAction = defineAction(`${o.workflow}.retry`, z.object({ run: z.string().min(1) }), {
    follows: o.workflow,
    progress: t('workflow.retrying'),
  });
  const skipAction = defineAction(`${o.workflow}.skip`, z.object({ run: z.string().min(1), step: z.string().min(1) }), {
    follows: o.workflow,
    progress: t('workflow.skipping'),
  });

  function progressOf(run: Run, extra: CardButton[] = []): Card {
    const failed = run.steps.some((s) => s.status === 'failed' || s.status === 'blocked');
    const attention = run.steps.some((s) => s.status === 'attention');
    const open = run.steps.filter((s) => s.status === 'failed' || s.status === 'blocked' || s.status === 'waiting');
    const actions: CardButton[] = [
      ...(failed || attention
        ? [
            retryAction.button(
              { run: run.id },
              {
                label: t(failed ? 'workflow.retryFailed' : 'workflow.retryHandled'),
                style: 'primary',
              },
            ),
          ]
        : []),
      ...open.map((s) =>
        skipAction.button(
          { run: run.id, step: s.id },
          {
            label: t('workflow.skip', { step: s.id }),
            confirm: t('workflow.skipConfirm', { step: s.id }),
          },
        ),
      ),
      ...extra,
    ];
    return workflowProgressCard({
      workflow: o.workflow,
      subject: run.subjectName,
      trigger: run.trigger,
      steps: run.steps.map((s) => ({
        label: s.label,
        state: s.status,
        ...(s.detail ? { detail: s.detail } : {}),
        ...(s.reason ? { reason: s.reason } : {}),
      })),
      actions,
    });
  }

  /** The run's card as it stands, with the workflow's extra buttons (onboarding: Undo once finished). */
  const currentProgress = async (env: WorkflowEnv, run: Run): Promise<Card> =>
    progressOf(run, (await o.extra?.(env, run)) ?? []);

  /** The engine's onChange: posts the card once (keyed to the run), then patches it. */
  async function showProgress(env: WorkflowEnv, run: Run): Promise<Record<string, string> | void> {
    const chat = o.adminChat(env.config.app);
    if (!chat) return;
    const card = await currentProgress(env, run);
    const existing = run.meta.progress;
    if (existing) return void (await env.gateway.im.patchCard(existing, card));
    // The uuid makes the first post once-only even if the run record lost the message id in a crash.
    const { messageId } = await env.gateway.im.sendCard({ chatId: chat }, card, {
      uuid: effectKey(run.id, 'progress'),
    });
    return { progress: messageId };
  }

  /** Retry and Skip, answered with the run's card as it stands after them. */
  function registerActions(app: App, wf: Workflows): void {
    app.action(retryAction, async (ctx, { run }) => {
      const after = await wf.retry(run);
      return after ? { card: await currentProgress(ctx, after) } : gone;
    });
    app.action(
      skipAction,
      audited(`${o.workflow}.skip`, ({ run, step }) => `${run}/${step}`),
      async (ctx, { run, step }) => {
        const after = await wf.skip(run, step);
        return after ? { card: await currentProgress(ctx, after) } : gone;
      },
    );
  }

  return { retryAction, skipAction, progressOf, currentProgress, showProgress, registerActions };
}
