/** Onboarding's progress card (see workflow-progress.ts), with Undo once the run has finished. */
import { workflowProgress } from './workflow-progress.js';
import { recordRunChange } from './onboard-undo.js';
import { undoButton } from './undo.js';

export const onboardProgress = workflowProgress({
  workflow: 'onboard',
  adminChat: (app) => app.onboarding.adminChat,
  extra: async (env, run) => undoButton(await recordRunChange(env, run)),
});
export const { retryAction, skipAction, progressOf, currentProgress, showProgress } = onboardProgress;
