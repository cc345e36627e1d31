import { Elements, envelope, escapeMd, grey, inline, twoLines, type Bilingual, type Card } from './kit.js';
import { WORKFLOW_WORDS, type WorkflowKind } from './workflow-progress.js';

export interface WorkflowPlanInput {
  workflow: WorkflowKind;
  /** Whom the run would be about: the hire, the leaver. */
  subject: string;
  steps: { label: Bilingual; values: string[]; skipped?: Bilingual; problems?: Bilingual[] }[];
  /** What stops the progress card from being posted (the admin chat). */
  adminChat?: Bilingual[];
}

/** A problem the run would meet, with what to do: amber, Chinese then English. */
const amber = (p: Bilingual): string =>
  `<font color='orange'>⚠ ${escapeMd(p.zh)}</font>${p.zh === p.en ? '' : `\n<font color='orange'>${escapeMd(p.en)}</font>`}`;

/**
 * `/onboard @user --dry-run`, `/offboard @user --dry-run`: every step with its resolved values, and what was checked
 * (chats, mail groups, sign-ins, the leader); amber when a run would meet a problem, each named with what to do.
 * Nothing was changed.
 */
export function workflowPlanCard(o: WorkflowPlanInput): Card {
  const words = WORKFLOW_WORDS[o.workflow];
  const els = new Elements();
  const count =
    (o.adminChat?.length ?? 0) + o.steps.reduce((n, s) => n + (s.skipped ? 0 : (s.problems?.length ?? 0)), 0);
  els.markdown(`**${inline(words.subject)}**：${escapeMd(o.subject)}`);
  els.markdown(
    count
      ? `**${count} 个问题，处理后再运行 · ${count} ${count === 1 ? 'problem' : 'problems'} to fix before running**`
      : `✓ ${inline(words.ready)}`,
  );
  if (o.adminChat?.length)
    els.markdown(`**${inline({ zh: '进度卡片', en: 'Progress card' })}**\n${o.adminChat.map(amber).join('\n')}`);
  o.steps.forEach((s, i) => {
    const body = s.skipped
      ? grey(escapeMd(`不执行 · not run: ${inline(s.skipped)}`))
      : [...s.values.map((v) => `- ${escapeMd(v)}`), ...(s.problems ?? []).map(amber)].join('\n');
    els.markdown(`**${i + 1}. ${twoLines(s.label)}**\n${body}`);
  });
  els.markdown(grey('演练：没有执行任何操作 · Dry run: nothing was changed'));
  return envelope(
    { zh: `${words.plan.zh}：${o.subject}`, en: `${words.plan.en}: ${o.subject}` },
    count ? 'orange' : 'blue',
    els,
  );
}
