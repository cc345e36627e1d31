import { field, compose, Elements, envelope, escapeMd, greyMd, md, t, type Card, type Text } from './kit.js';

import type { WorkflowKind } from './workflow-progress.js';

export interface WorkflowPlanInput {
  workflow: WorkflowKind;
  /** Whom the run would be about: the hire, the leaver. */
  subject: string;
  /** `values`: what a step would act on, names and addresses as they are (a string) or labelled (a Text). */
  steps: { label: Text; values: (string | Text)[]; skipped?: Text; problems?: Text[] }[];
  /** What stops the progress card from being posted (the admin chat). */
  adminChat?: Text[];
}

/** A problem the run would meet, with what to do: amber. */
const amber = (p: Text): Text => compose((say) => `<font color='orange'>⚠ ${say(md(p))}</font>`);

/**
 * `/onboard @user --dry-run`, `/offboard @user --dry-run`: every step with its resolved values, and what was checked
 * (chats, mail groups, sign-ins, the leader); amber when a run would meet a problem, each named with what to do.
 * Nothing was changed.
 */
export function workflowPlanCard(o: WorkflowPlanInput): Card {
  const els = new Elements();
  const count =
    (o.adminChat?.length ?? 0) + o.steps.reduce((n, s) => n + (s.skipped ? 0 : (s.problems?.length ?? 0)), 0);
  els.markdown(field(t(`${o.workflow}.subject`), escapeMd(o.subject)));
  els.markdown(
    compose((say) =>
      count ? `**${say(md(t('workflow.problemsToFix', { count })))}**` : `✓ ${say(md(t(`${o.workflow}.ready`)))}`,
    ),
  );
  const adminChat = o.adminChat ?? [];
  if (adminChat.length)
    els.markdown(
      compose((say) => [`**${say(t('workflow.progressCard'))}**`, ...adminChat.map((p) => say(amber(p)))].join('\n')),
    );
  o.steps.forEach((s, i) => {
    // Escaped once, outside the per-language join: a step may list hundreds of values.
    const label = md(s.label);
    const body = s.skipped
      ? [greyMd(t('workflow.notRun', { reason: s.skipped }))]
      : [...s.values.map((v) => compose((say) => `- ${say(md(v))}`)), ...(s.problems ?? []).map(amber)];
    els.markdown(compose((say) => [`**${i + 1}. ${say(label)}**`, ...body.map(say)].join('\n')));
  });
  els.markdown(greyMd(t('workflow.dryRun')));
  return envelope(t(`${o.workflow}.planTitle`, { name: o.subject }), count ? 'orange' : 'blue', els);
}
