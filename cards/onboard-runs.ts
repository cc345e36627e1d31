import { Elements, envelope, escapeMd, grey, type Card } from './kit.js';

export interface OnboardRunsInput {
  runs: {
    hire: string;
    trigger: string;
    done: number;
    total: number;
    /** Ids of the steps that failed or are blocked. */
    failed: string[];
    waiting: number;
    at: string;
  }[];
}

/** `/onboard status`: recent runs, newest first; a failed run names its failed steps. */
export function onboardRunsCard(o: OnboardRunsInput): Card {
  const els = new Elements();
  if (!o.runs.length) els.markdown('还没有入职流程 · No onboarding runs yet');
  else {
    els.markdown(
      o.runs
        .map((r) => {
          const n = r.failed.length;
          const state = n ? `✗ ${n}` : r.waiting ? `⏳ ${r.waiting}` : r.done === r.total ? '✓' : '🔄';
          const failed = n ? ` · 失败 failed: ${escapeMd(r.failed.join(', '))}` : '';
          return `${state} **${escapeMd(r.hire)}** ${r.done}/${r.total}${failed} ${grey(escapeMd(`${r.trigger} · ${r.at}`))}`;
        })
        .join('\n'),
    );
    els.markdown(grey('每个步骤：/onboard status 姓名 · Each step: /onboard status <name>'));
  }
  return envelope({ zh: '最近的入职流程', en: 'Recent onboarding runs' }, 'blue', els);
}
