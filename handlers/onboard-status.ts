/** `/onboard status [hire]` (workflow-status.ts): recent onboarding runs, or one hire's run step by step. */
import type { App } from '../src/app.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import { t } from '../src/i18n.js';
import type { Workflows } from '../src/workflows/engine.js';
import { currentProgress } from './onboard-progress.js';
import { registerWorkflowStatus, statusArgs, type StatusArgs } from './workflow-status.js';

export const onboardStatusSpec: CommandSpec<StatusArgs> = {
  summary: t('onboard.statusSummary'),
  usage: '/onboard status [新员工 hire | @新员工]',
  examples: [
    '/onboard status',
    '/onboard status 刘洋',
    '/onboard status Liu Yang',
    '/onboard status liuyang@example.com',
  ],
  args: statusArgs(msg('onboard.args.status')),
  // Every word: an English name has a space in it.
  rest: 'person',
  mentions: 'users',
};

export function registerOnboardStatus(app: App, wf: Workflows): void {
  registerWorkflowStatus(app, wf, {
    workflow: 'onboard',
    spec: onboardStatusSpec,
    names: (run) => [run.input.en_name, run.input.email],
    progress: currentProgress,
    example: '刘洋',
  });
}
