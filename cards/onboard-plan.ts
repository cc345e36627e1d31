import { Elements, envelope, escapeMd, grey, inline, twoLines, type Bilingual, type Card } from './kit.js';

export interface OnboardPlanInput {
  hire: string;
  steps: { label: Bilingual; values: string[]; skipped?: Bilingual }[];
}

/** `/onboard @user --dry-run`: every step with its resolved values; nothing was changed. */
export function onboardPlanCard(o: OnboardPlanInput): Card {
  const els = new Elements();
  els.markdown(`**新员工 · New hire**：${escapeMd(o.hire)}`);
  o.steps.forEach((s, i) => {
    const body = s.skipped
      ? grey(escapeMd(`不执行 · not run: ${inline(s.skipped)}`))
      : s.values.map((v) => `- ${escapeMd(v)}`).join('\n');
    els.markdown(`**${i + 1}. ${twoLines(s.label)}**\n${body}`);
  });
  els.markdown(grey('演练：没有执行任何操作 · Dry run: nothing was changed'));
  return envelope({ zh: `入职计划：${o.hire}`, en: `Onboarding plan: ${o.hire}` }, 'blue', els);
}
