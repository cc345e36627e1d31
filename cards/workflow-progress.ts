import {
  fieldLines,
  compose,
  Elements,
  envelope,
  grey,
  md,
  same,
  t,
  type Card,
  type CardButton,
  type HeaderColour,
  type Text,
} from './kit.js';

export type WorkflowStepState =
  'pending' | 'running' | 'done' | 'failed' | 'waiting' | 'attention' | 'blocked' | 'skipped' | 'not_applicable';

/**
 * The workflows with a progress card: each names its runs, their subject and its titles in its own words, under its
 * own block of the catalog (`onboard.runName`, `offboard.runName`…).
 */
export type WorkflowKind = 'onboard' | 'offboard';

export interface WorkflowProgressInput {
  workflow: WorkflowKind;
  /** Whom the run is about: the hire, the leaver. */
  subject: string;
  trigger: string;
  /** `detail`: names and ids as they are (a string), or in the bot's words. */
  steps: { label: Text; state: WorkflowStepState; detail?: string | Text; reason?: Text }[];
  /** Retry failed steps, Skip step: built by the handler's action refs. */
  actions: CardButton[];
}

const ICON: Record<WorkflowStepState, string> = {
  pending: '⚪',
  running: '🔄',
  done: '✓',
  failed: '✗',
  waiting: '⏳',
  attention: '⚠️',
  blocked: '⛔',
  skipped: '⏭️',
  not_applicable: '➖',
};

/** A step's state in words: "done", "waiting for sign-in"… */
export const stateWord = (state: WorkflowStepState): Text => t(`workflow.state.${state}`);

/** A step's detail, escaped: names and ids as they are, or the bot's words in the reader's language. */
export const detailMd = (detail: string | Text): Text => md(typeof detail === 'string' ? same(detail) : detail);

function colour(states: WorkflowStepState[]): HeaderColour {
  if (states.some((s) => s === 'failed' || s === 'blocked')) return 'red';
  if (states.some((s) => s === 'attention')) return 'orange';
  return states.every((s) => s === 'done' || s === 'skipped' || s === 'not_applicable') ? 'green' : 'wathet';
}

/** The admin chat's card for one run (a hire's onboarding, a leaver's offboarding), updated in place as steps finish. */
export function workflowProgressCard(o: WorkflowProgressInput): Card {
  const els = new Elements();
  const done = o.steps.filter((s) => s.state === 'done').length;
  els.markdown(
    fieldLines([
      [t(`${o.workflow}.subject`), o.subject],
      [t('workflow.trigger'), o.trigger],
      [t('card.progress'), `${done}/${o.steps.length}`],
    ]),
  );
  els.markdown(
    compose((say) =>
      o.steps
        .map((s) => {
          const detail = s.detail ? `\n${grey(say(detailMd(s.detail)))}` : '';
          const why = s.reason ? `\n${grey(say(md(s.reason)))}` : '';
          return `${ICON[s.state]} ${say(md(s.label))} · ${say(md(stateWord(s.state)))}${detail}${why}`;
        })
        .join('\n'),
    ),
  );
  for (const a of o.actions) els.button(a);
  return envelope(t(`${o.workflow}.progressTitle`, { name: o.subject }), colour(o.steps.map((s) => s.state)), els);
}
