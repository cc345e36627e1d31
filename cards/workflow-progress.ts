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

export type WorkflowStepState =
  'pending' | 'running' | 'done' | 'failed' | 'waiting' | 'attention' | 'blocked' | 'skipped' | 'not_applicable';

/** The workflows with a progress card: each names its runs and their subject in its own words. */
export const WORKFLOW_WORDS = {
  onboard: {
    run: { zh: '入职流程', en: 'Onboarding' },
    plan: { zh: '入职计划', en: 'Onboarding plan' },
    subject: { zh: '新员工', en: 'New hire' },
    ready: {
      zh: '已检查：群、邮件组和发件人登录都已就绪',
      en: 'Checked: the chats, mail groups and senders\u2019 sign-ins are ready',
    },
  },
  offboard: {
    run: { zh: '离职流程', en: 'Offboarding' },
    plan: { zh: '离职计划', en: 'Offboarding plan' },
    subject: { zh: '离职员工', en: 'Leaver' },
    ready: {
      zh: '已检查：每一步都能由机器人完成，无需人工处理',
      en: 'Checked: the bot can do every step; nothing needs a person',
    },
  },
} as const satisfies Record<string, Record<'run' | 'plan' | 'subject' | 'ready', Bilingual>>;
export type WorkflowKind = keyof typeof WORKFLOW_WORDS;

export interface WorkflowProgressInput {
  workflow: WorkflowKind;
  /** Whom the run is about: the hire, the leaver. */
  subject: string;
  trigger: string;
  steps: { label: Bilingual; state: WorkflowStepState; detail?: string; reason?: Bilingual }[];
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
const WORD: Record<WorkflowStepState, Bilingual> = {
  pending: { zh: '等待中', en: 'pending' },
  running: { zh: '进行中', en: 'running' },
  done: { zh: '完成', en: 'done' },
  failed: { zh: '失败', en: 'failed' },
  waiting: { zh: '等待登录', en: 'waiting for sign-in' },
  attention: { zh: '需要人工处理', en: 'needs a person' },
  blocked: { zh: '被前置步骤阻塞', en: 'blocked' },
  skipped: { zh: '已跳过', en: 'skipped' },
  not_applicable: { zh: '不适用', en: 'not applicable' },
};

function colour(states: WorkflowStepState[]): HeaderColour {
  if (states.some((s) => s === 'failed' || s === 'blocked')) return 'red';
  if (states.some((s) => s === 'attention')) return 'orange';
  return states.every((s) => s === 'done' || s === 'skipped' || s === 'not_applicable') ? 'green' : 'wathet';
}

/** The admin chat's card for one run (a hire's onboarding, a leaver's offboarding), updated in place as steps finish. */
export function workflowProgressCard(o: WorkflowProgressInput): Card {
  const words = WORKFLOW_WORDS[o.workflow];
  const els = new Elements();
  const done = o.steps.filter((s) => s.state === 'done').length;
  els.markdown(
    `**${inline(words.subject)}**：${escapeMd(o.subject)}\n**触发 · Trigger**：${escapeMd(o.trigger)}\n**进度 · Progress**：${done}/${o.steps.length}`,
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
  return envelope(
    { zh: `${words.run.zh}：${o.subject}`, en: `${words.run.en}: ${o.subject}` },
    colour(o.steps.map((s) => s.state)),
    els,
  );
}
