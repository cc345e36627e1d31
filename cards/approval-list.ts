/** `/approvals`: what waits for the reader's approval, and what they asked for. */
import { Elements, envelope, escapeMd, grey, clip, type Bilingual, type Card } from './kit.js';
import type { ApprovalStatus } from './approval-request.js';

export interface ApprovalListItem {
  line: string;
  requester: string;
  status: ApprovalStatus;
  /** "2026-12-03 09:00 UTC": when it was asked. */
  at: string;
  /** Who decided it, if anyone did. */
  by?: string;
}

export interface ApprovalListInput {
  waiting: ApprovalListItem[];
  mine: ApprovalListItem[];
}

/** A request's status in a few words. */
export const APPROVAL_STATUS_TEXT: Record<ApprovalStatus, Bilingual> = {
  pending: { zh: '等待审批', en: 'waiting' },
  approved: { zh: '已批准', en: 'approved' },
  running: { zh: '执行中', en: 'running' },
  done: { zh: '已执行', en: 'ran' },
  rejected: { zh: '已拒绝', en: 'rejected' },
  withdrawn: { zh: '已撤回', en: 'withdrawn' },
  expired: { zh: '已过期', en: 'expired' },
};

const MAX_ITEMS = 20;

const lineOf = (i: ApprovalListItem, withRequester: boolean): string => {
  const s = APPROVAL_STATUS_TEXT[i.status];
  const who = withRequester ? `${escapeMd(clip(i.requester, 50))} · ` : '';
  const by = i.by ? ` · ${escapeMd(clip(i.by, 50))}` : '';
  return `- ${who}${escapeMd(clip(i.line, 120))} — ${s.zh} ${s.en}${by} ${grey(escapeMd(clip(i.at, 30)))}`;
};

export function approvalListCard(o: ApprovalListInput): Card {
  const els = new Elements();
  const section = (title: string, items: ApprovalListItem[], withRequester: boolean, none: string) =>
    els.markdown(
      [
        `**${title}**（${items.length}）`,
        ...(items.length ? items.slice(0, MAX_ITEMS).map((i) => lineOf(i, withRequester)) : [grey(none)]),
      ].join('\n'),
    );
  section('等你审批 · Waiting for you', o.waiting, true, '没有 · None');
  section('你的申请 · You asked for', o.mine, false, '没有 · None');
  els.markdown(grey('在审批卡片上批准或拒绝 · Approve or reject on the approval cards'));
  return envelope({ zh: '审批', en: 'Approvals' }, 'blue', els);
}
