/**
 * The cards of one approval request: the requester's "waiting" card (with Withdraw), each approver's card (Approve,
 * and a Reject form asking for a reason), and what every one of them becomes once the request is decided.
 */
import {
  clip,
  compose,
  Elements,
  envelope,
  escapeMd,
  greyMd,
  md,
  t,
  type Card,
  type CardButton,
  type Text,
} from './kit.js';

export type ApprovalStatus = 'pending' | 'approved' | 'running' | 'done' | 'rejected' | 'withdrawn' | 'expired';

export interface ApprovalRequestView {
  /** The command as typed (first line), or the button clicked: what runs once approved. */
  line: string;
  requester: string;
  /** Who may approve, by name ("管理员、李娜"). */
  approvers: Text;
  /** "2026-12-03 09:00 UTC". */
  expires: string;
  /** Native mode: the request waits in Feishu Approval rather than on cards. */
  native?: boolean;
  /** Another approver must approve even though the requester is one (approvals.twoPersonRule). */
  twoPerson?: boolean;
}

const MAX_LINE_CHARS = 300;
const MAX_NAME_CHARS = 100;

/** A bold label, then its value: markdown already escaped, or a Text in each language. */
const labelled = (label: Text, separator: string, value: string | Text): Text =>
  compose((say) => `**${say(md(label))}**${separator}${say(value)}`);

function describe(els: Elements, v: ApprovalRequestView): void {
  els.markdown(labelled(t('approval.card.request'), '\n', escapeMd(clip(v.line, MAX_LINE_CHARS))));
  const approvers = compose((say) => escapeMd(clip(say(v.approvers), MAX_LINE_CHARS)));
  els.markdown(
    compose((say) =>
      [
        say(labelled(t('approval.card.requester'), '：', escapeMd(clip(v.requester, MAX_NAME_CHARS)))),
        say(labelled(t('approval.card.approvers'), '：', approvers)),
      ].join('\n'),
    ),
  );
}

/** The requester's card while the request waits. */
export function approvalWaitingCard(v: ApprovalRequestView, withdraw: CardButton): Card {
  const els = new Elements();
  els.markdown(md(t(v.native ? 'approval.waiting.bodyNative' : 'approval.waiting.body')));
  describe(els, v);
  if (v.twoPerson) els.markdown(greyMd(t('approval.waiting.twoPerson')));
  els.button(withdraw);
  els.markdown(greyMd(t('approval.waiting.expires', { time: v.expires })));
  return envelope(t('approval.waiting.title'), 'wathet', els);
}

/** An approver's card: Approve, or Reject with a reason. */
export function approverCard(v: ApprovalRequestView, approve: CardButton, reject: CardButton): Card {
  const els = new Elements();
  els.markdown(md(t('approval.ask.body', { name: clip(v.requester, MAX_NAME_CHARS) })));
  describe(els, v);
  els.button(approve);
  els.form('reject', (f) => {
    f.input('reason', t('approval.ask.reason'), '', { maxLength: 500 });
    f.button(reject, { submit: true });
  });
  els.markdown(greyMd(t('approval.ask.validUntil', { time: v.expires })));
  return envelope(t('approval.ask.title'), 'orange', els);
}

export interface ApprovalDecision {
  status: Exclude<ApprovalStatus, 'pending'>;
  /** Who decided (approved, rejected, withdrew); absent for expiry. */
  by?: string;
  reason?: string;
  /** How the run went, once it ran: "ok", "refused", "invalid", "error". */
  outcome?: string;
}

const TITLES: Record<ApprovalDecision['status'], Text> = {
  approved: t('approval.decided.running'),
  running: t('approval.decided.running'),
  done: t('approval.decided.done'),
  rejected: t('approval.decided.rejected'),
  withdrawn: t('approval.decided.withdrawn'),
  expired: t('approval.decided.expired'),
};

function verdict(d: ApprovalDecision): Text {
  const by = clip(d.by ?? '', MAX_NAME_CHARS);
  switch (d.status) {
    case 'approved':
    case 'running':
      return t('approval.verdict.running', { by });
    case 'done':
      return d.outcome === 'ok'
        ? t('approval.verdict.ran', { by })
        : t('approval.verdict.failed', { by, outcome: d.outcome ?? t('approval.verdict.unknown') });
    case 'rejected':
      return t('approval.verdict.rejected', { by });
    case 'withdrawn':
      return t('approval.verdict.withdrawn', { by });
    case 'expired':
      return t('approval.verdict.expired');
  }
}

/** What every card of the request shows once it is decided. */
export function approvalDecidedCard(v: ApprovalRequestView, d: ApprovalDecision): Card {
  const els = new Elements();
  els.markdown(md(verdict(d)));
  describe(els, v);
  if (d.reason) els.markdown(labelled(t('approval.card.reason'), '\n', escapeMd(clip(d.reason, 500))));
  if (d.status === 'rejected' || d.status === 'expired' || d.status === 'withdrawn')
    els.markdown(greyMd(t('approval.decided.askAnew')));
  const colour = d.status === 'done' && d.outcome === 'ok' ? 'green' : d.status === 'rejected' ? 'red' : 'blue';
  return envelope(TITLES[d.status], d.status === 'approved' || d.status === 'running' ? 'wathet' : colour, els);
}
