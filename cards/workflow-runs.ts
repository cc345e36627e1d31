import { clip, compose, Elements, envelope, escapeMd, grey, greyMd, md, t, type Card, type Text } from './kit.js';
import type { WorkflowKind } from './workflow-progress.js';

export interface WorkflowRunsInput {
  workflow: WorkflowKind;
  runs: {
    /** Whom the run is about: the hire, the leaver. */
    subject: string;
    trigger: string;
    /** Finished steps (done, skipped, not applicable, or done as far as the bot could). */
    done: number;
    total: number;
    /** Ids of the steps that failed or are blocked. */
    failed: string[];
    waiting: number;
    /** Steps that left something for a person. */
    attention: number;
    at: string;
  }[];
}

/** `/onboard status`, `/offboard status`: recent runs, newest first; a failed run names its failed steps. */
export function workflowRunsCard(o: WorkflowRunsInput): Card {
  const run = t(`${o.workflow}.runName`);
  const els = new Elements();
  if (!o.runs.length) els.markdown(md(t('workflow.noRuns', { run })));
  else {
    // Each run's texts are rendered once, in every language, before the lines are joined per language.
    const lines = o.runs.map((r) => {
      const n = r.failed.length;
      const state = n
        ? `✗ ${n}`
        : r.waiting
          ? `⏳ ${r.waiting}`
          : r.done < r.total
            ? '🔄'
            : r.attention
              ? `⚠️ ${r.attention}`
              : '✓';
      const failed = n
        ? md(t('workflow.failedSteps', { steps: clip(r.failed.map((id) => clip(id)).join(', ')) }))
        : undefined;
      const head = `${state} **${escapeMd(r.subject)}** ${r.done}/${r.total}`;
      const tail = ` ${grey(`${escapeMd(r.trigger)} · ${escapeMd(r.at)}`)}`;
      return (say: (x: Text) => string) => `${head}${failed ? ` · ${say(failed)}` : ''}${tail}`;
    });
    els.markdown(compose((say) => lines.map((line) => line(say)).join('\n')));
    els.markdown(greyMd(t('workflow.eachStep', { command: o.workflow })));
  }
  return envelope(t('workflow.recent', { run }), 'blue', els);
}
