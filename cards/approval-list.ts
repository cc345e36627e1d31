/** `/approvals`: what waits for the reader's approval, and what they asked for. */
import { Elements, envelope, escapeMd, greyMd, clip, compose, grey, md, t, type Card, type Text } from './kit.js';
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
export const APPROVAL_STATUS_TEXT: Record<ApprovalStatus, Text> = {
  pending: t('approval.status.pending'),
  approved: t('approval.status.approved'),
  running: t('approval.status.running'),
  done: t('approval.status.done'),
  rejected: t('approval.status.rejected'),
  withdrawn: t('approval.status.withdrawn'),
  expired: t('approval.status.expired'),
};

const MAX_ITEMS = 20;

const lineOf = (i: ApprovalListItem, withRequester: boolean): Text => {
  const who = withRequester ? `${escapeMd(clip(i.requester, 50))} · ` : '';
  const by = i.by ? ` · ${escapeMd(clip(i.by, 50))}` : '';
  return compose(
    (say) =>
      `- ${who}${escapeMd(clip(i.line, 120))} — ${say(md(APPROVAL_STATUS_TEXT[i.status]))}${by} ${grey(escapeMd(clip(i.at, 30)))}`,
  );
};

export function approvalListCard(o: ApprovalListInput): Card {
  const els = new Elements();
  const section = (title: Text, items: ApprovalListItem[], withRequester: boolean) => {
    const lines = items.length
      ? items.slice(0, MAX_ITEMS).map((i) => lineOf(i, withRequester))
      : [greyMd(t('approval.list.none'))];
    els.markdown(compose((say) => [`**${say(md(title))}**（${items.length}）`, ...lines.map(say)].join('\n')));
  };
  section(t('approval.list.waiting'), o.waiting, true);
  section(t('approval.list.mine'), o.mine, false);
  els.markdown(greyMd(t('approval.list.hint')));
  return envelope(t('approval.list.title'), 'blue', els);
}
