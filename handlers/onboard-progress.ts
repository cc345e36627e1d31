/**
 * A run's progress card, posted in the onboarding admin chat and updated in place, with Retry for failed steps and
 * Skip for each open one.
 */
import { z } from 'zod';
import { onboardProgressCard, type Card, type CardButton } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { Run, WorkflowEnv } from '../src/workflows/engine.js';
import { effectKey } from './onboard-steps.js';
import { recordRunChange } from './onboard-undo.js';
import { undoButton } from './undo.js';

// The onboard rule guards the buttons too: whoever may not run /onboard may not retry or skip its steps.
export const retryAction = defineAction('onboard.retry', z.object({ run: z.string().min(1) }), {
  follows: 'onboard',
  progress: { zh: '正在重试', en: 'Retrying' },
});
export const skipAction = defineAction('onboard.skip', z.object({ run: z.string().min(1), step: z.string().min(1) }), {
  follows: 'onboard',
  progress: { zh: '正在跳过', en: 'Skipping' },
});

export function progressOf(run: Run, undo: CardButton[] = []): Card {
  const open = run.steps.filter((s) => s.status === 'failed' || s.status === 'blocked' || s.status === 'waiting');
  const actions: CardButton[] = [
    ...(run.steps.some((s) => s.status === 'failed' || s.status === 'blocked')
      ? [
          retryAction.button(
            { run: run.id },
            { label: { zh: '重试失败的步骤', en: 'Retry failed steps' }, style: 'primary' },
          ),
        ]
      : []),
    ...open.map((s) =>
      skipAction.button(
        { run: run.id, step: s.id },
        {
          label: { zh: `跳过 ${s.id}`, en: `Skip ${s.id}` },
          confirm: { zh: `跳过步骤 ${s.id}？`, en: `Skip step ${s.id}?` },
        },
      ),
    ),
    ...undo,
  ];
  return onboardProgressCard({
    hire: run.subjectName,
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

/** The run's card as it stands, with Undo once it has finished (its undo record is made then, once). */
export const currentProgress = async (env: WorkflowEnv, run: Run): Promise<Card> =>
  progressOf(run, undoButton(await recordRunChange(env, run)));

export async function showProgress(env: WorkflowEnv, run: Run): Promise<Record<string, string> | void> {
  const chat = env.config.app.onboarding.adminChat;
  if (!chat) return;
  const card = await currentProgress(env, run);
  const existing = run.meta.progress;
  if (existing) return void (await env.gateway.im.patchCard(existing, card));
  // The uuid makes the first post once-only even if the run record lost the message id in a crash.
  const { messageId } = await env.gateway.im.sendCard({ chatId: chat }, card, { uuid: effectKey(run.id, 'progress') });
  return { progress: messageId };
}
