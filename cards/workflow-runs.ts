import { Elements, envelope, escapeMd, grey, type Card } from './kit.js';
import { WORKFLOW_WORDS, type WorkflowKind } from './workflow-progress.js';

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
  const run = WORKFLOW_WORDS[o.workflow].run;
  const els = new Elements();
  if (!o.runs.length) els.markdown(`还没有${run.zh} · No ${run.en.toLowerCase()} runs yet`);
  else {
    els.markdown(
      o.runs
        .map((r) => {
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
          const failed = n ? ` · 失败 failed: ${escapeMd(r.failed.join(', '))}` : '';
          return `${state} **${escapeMd(r.subject)}** ${r.done}/${r.total}${failed} ${grey(escapeMd(`${r.trigger} · ${r.at}`))}`;
        })
        .join('\n'),
    );
    els.markdown(grey(`每个步骤：/${o.workflow} status 姓名 · Each step: /${o.workflow} status <name>`));
  }
  return envelope({ zh: `最近的${run.zh}`, en: `Recent ${run.en.toLowerCase()} runs` }, 'blue', els);
}
