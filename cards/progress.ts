import {
  field,
  andMore,
  compose,
  Elements,
  envelope,
  escapeMd,
  fitting,
  grey,
  greyMd,
  md,
  t,
  type Card,
  type HeaderColour,
  type Text,
} from './kit.js';

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface ProgressCardInput {
  title: Text;
  steps: { label: Text; state: StepState; detail?: string }[];
  note?: Text;
}

const ICON: Record<StepState, string> = { pending: '⚪', running: '🔄', done: '✅', failed: '❌', skipped: '⏭️' };

/** Blue while work is under way; the card turns red on a failure and green once every step has finished. */
function colour(states: StepState[]): HeaderColour {
  if (states.includes('failed')) return 'red';
  return states.every((s) => s === 'done' || s === 'skipped') ? 'green' : 'wathet';
}

export function progressCard(o: ProgressCardInput): Card {
  const steps = o.steps.map((s) => {
    const detail = s.detail ? `\n${grey(escapeMd(s.detail))}` : '';
    return compose((say) => `${ICON[s.state]} ${say(md(s.label))}${detail}`);
  });
  const done = o.steps.filter((s) => s.state === 'done').length;
  return fitting(steps.length, (shown) => {
    const els = new Elements();
    els.markdown(field(t('card.progress'), `${done}/${o.steps.length}`));
    const rest = steps.length - shown;
    els.markdown(
      compose((say) => [...steps.slice(0, shown).map(say), ...(rest > 0 ? [grey(say(andMore(rest)))] : [])].join('\n')),
    );
    if (o.note) els.markdown(greyMd(o.note));
    return envelope(o.title, colour(o.steps.map((s) => s.state)), els);
  });
}
