import {
  andMore,
  Elements,
  envelope,
  escapeMd,
  fitting,
  grey,
  inline,
  twoLines,
  type Bilingual,
  type Card,
  type HeaderColour,
} from './kit.js';

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface ProgressCardInput {
  title: Bilingual;
  steps: { label: Bilingual; state: StepState; detail?: string }[];
  note?: Bilingual;
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
    return `${ICON[s.state]} ${twoLines(s.label)}${detail}`;
  });
  const done = o.steps.filter((s) => s.state === 'done').length;
  return fitting(steps.length, (shown) => {
    const els = new Elements();
    els.markdown(`**进度 · Progress**：${done}/${o.steps.length}`);
    const rest = steps.length - shown;
    els.markdown([...steps.slice(0, shown), ...(rest > 0 ? [grey(andMore(rest))] : [])].join('\n'));
    if (o.note) els.markdown(grey(escapeMd(inline(o.note))));
    return envelope(o.title, colour(o.steps.map((s) => s.state)), els);
  });
}
