import { Elements, envelope, escapeMd, grey, type Card } from './kit.js';

export interface OnboardRunsInput {
  runs: { hire: string; trigger: string; done: number; total: number; failed: number; waiting: number; at: string }[];
}

/** `/onboard status`: recent runs, newest first. */
export function onboardRunsCard(o: OnboardRunsInput): Card {
  const els = new Elements();
  if (!o.runs.length) els.markdown('还没有入职流程 · No onboarding runs yet');
  else {
    els.markdown(
      o.runs
        .map((r) => {
          const state = r.failed ? `✗ ${r.failed}` : r.waiting ? `⏳ ${r.waiting}` : r.done === r.total ? '✓' : '🔄';
          return `${state} **${escapeMd(r.hire)}** ${r.done}/${r.total} ${grey(escapeMd(`${r.trigger} · ${r.at}`))}`;
        })
        .join('\n'),
    );
  }
  return envelope({ zh: '最近的入职流程', en: 'Recent onboarding runs' }, 'blue', els);
}
