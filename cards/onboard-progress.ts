import {
  Elements,
  envelope,
  escapeMd,
  grey,
  inline,
  twoLines,
  type Bilingual,
  type Card,
  type CardButton,
  type HeaderColour,
} from './kit.js';

export type OnboardStepState =
  'pending' | 'running' | 'done' | 'failed' | 'waiting' | 'blocked' | 'skipped' | 'not_applicable';

export interface OnboardProgressInput {
  hire: string;
  trigger: string;
  steps: { label: Bilingual; state: OnboardStepState; detail?: string; reason?: Bilingual }[];
  /** Retry failed steps, Skip step: built by the handler's action refs. */
  actions: CardButton[];
}

const ICON: Record<OnboardStepState, string> = {
  pending: '⚪',
  running: '🔄',
  done: '✓',
  failed: '✗',
  waiting: '⏳',
  blocked: '⛔',
  skipped: '⏭️',
  not_applicable: '➖',
};
const WORD: Record<OnboardStepState, Bilingual> = {
  pending: { zh: '等待中', en: 'pending' },
  running: { zh: '进行中', en: 'running' },
  done: { zh: '完成', en: 'done' },
  failed: { zh: '失败', en: 'failed' },
  waiting: { zh: '等待登录', en: 'waiting for sign-in' },
  blocked: { zh: '被前置步骤阻塞', en: 'blocked' },
  skipped: { zh: '已跳过', en: 'skipped' },
  not_applicable: { zh: '不适用', en: 'not applicable' },
};

function colour(states: OnboardStepState[]): HeaderColour {
  if (states.some((s) => s === 'failed' || s === 'blocked')) return 'red';
  return states.every((s) => s === 'done' || s === 'skipped' || s === 'not_applicable') ? 'green' : 'wathet';
}

/** The admin chat's card for one hire's onboarding run, updated in place as its steps finish. */
export function onboardProgressCard(o: OnboardProgressInput): Card {
  const els = new Elements();
  const done = o.steps.filter((s) => s.state === 'done').length;
  els.markdown(
    `**新员工 · New hire**：${escapeMd(o.hire)}\n**触发 · Trigger**：${escapeMd(o.trigger)}\n**进度 · Progress**：${done}/${o.steps.length}`,
  );
  els.markdown(
    o.steps
      .map((s) => {
        const why = s.reason ? `\n${grey(escapeMd(inline(s.reason)))}` : '';
        const detail = s.detail ? `\n${grey(escapeMd(s.detail))}` : '';
        return `${ICON[s.state]} ${twoLines(s.label)} · ${escapeMd(inline(WORD[s.state]))}${detail}${why}`;
      })
      .join('\n'),
  );
  for (const a of o.actions) els.button(a);
  return envelope({ zh: `入职流程：${o.hire}`, en: `Onboarding: ${o.hire}` }, colour(o.steps.map((s) => s.state)), els);
}
