/**
 * The cards of one approval request: the requester's "waiting" card (with Withdraw), each approver's card (Approve,
 * and a Reject form asking for a reason), and what every one of them becomes once the request is decided.
 */
import { clip, Elements, envelope, escapeMd, grey, inline, type Bilingual, type Card, type CardButton } from './kit.js';

export type ApprovalStatus = 'pending' | 'approved' | 'running' | 'done' | 'rejected' | 'withdrawn' | 'expired';

export interface ApprovalRequestView {
  /** The command as typed (first line), or the button clicked: what runs once approved. */
  line: string;
  requester: string;
  /** Who may approve, by name ("管理员、李娜"). */
  approvers: Bilingual;
  /** "2026-12-03 09:00 UTC". */
  expires: string;
  /** Native mode: the request waits in Feishu Approval rather than on cards. */
  native?: boolean;
  /** Another approver must approve even though the requester is one (approvals.twoPersonRule). */
  twoPerson?: boolean;
}

const MAX_LINE_CHARS = 300;
const MAX_NAME_CHARS = 100;

function describe(els: Elements, v: ApprovalRequestView): void {
  els.markdown(`**请求 · Request**\n${escapeMd(clip(v.line, MAX_LINE_CHARS))}`);
  els.markdown(
    [
      `**申请人 · Requested by**：${escapeMd(clip(v.requester, MAX_NAME_CHARS))}`,
      `**审批人 · Approvers**：${escapeMd(clip(inline(v.approvers), MAX_LINE_CHARS))}`,
    ].join('\n'),
  );
}

/** The requester's card while the request waits. */
export function approvalWaitingCard(v: ApprovalRequestView, withdraw: CardButton): Card {
  const els = new Elements();
  els.markdown(
    v.native
      ? '这条命令需要审批，已提交到飞书审批；批准后会以你的身份自动执行一次。\nThis command needs approval and was sent to Feishu Approval; once approved it runs as you, once.'
      : '这条命令需要审批；批准后会以你的身份自动执行一次。\nThis command needs approval; once approved it runs as you, once.',
  );
  describe(els, v);
  if (v.twoPerson)
    els.markdown(grey('双人规则：需要另一位审批人批准 · Two-person rule: another approver must approve'));
  els.button(withdraw);
  els.markdown(grey(`${v.expires} 前未批准则作废 · Expires unless approved by ${v.expires}`));
  return envelope({ zh: '等待审批', en: 'Waiting for approval' }, 'wathet', els);
}

/** An approver's card: Approve, or Reject with a reason. */
export function approverCard(v: ApprovalRequestView, approve: CardButton, reject: CardButton): Card {
  const els = new Elements();
  els.markdown(
    `${escapeMd(clip(v.requester, MAX_NAME_CHARS))} 请求执行下面的命令，需要你审批。\n${escapeMd(clip(v.requester, MAX_NAME_CHARS))} asks to run the command below and needs your approval.`,
  );
  describe(els, v);
  els.button(approve);
  els.form('reject', (f) => {
    f.input('reason', { zh: '拒绝理由（可选）', en: 'Reason for rejecting (optional)' }, '', { maxLength: 500 });
    f.button(reject, { submit: true });
  });
  els.markdown(
    grey(
      `${v.expires} 前有效；申请人不能批准自己的请求 · Valid until ${v.expires}; requesters cannot approve their own requests`,
    ),
  );
  return envelope({ zh: '审批请求', en: 'Approval request' }, 'orange', els);
}

export interface ApprovalDecision {
  status: Exclude<ApprovalStatus, 'pending'>;
  /** Who decided (approved, rejected, withdrew); absent for expiry. */
  by?: string;
  reason?: string;
  /** How the run went, once it ran: "ok", "refused", "invalid", "error". */
  outcome?: string;
}

const TITLES: Record<ApprovalDecision['status'], Bilingual> = {
  approved: { zh: '已批准，正在执行', en: 'Approved; running' },
  running: { zh: '已批准，正在执行', en: 'Approved; running' },
  done: { zh: '已批准并执行', en: 'Approved and run' },
  rejected: { zh: '已拒绝', en: 'Rejected' },
  withdrawn: { zh: '已撤回', en: 'Withdrawn' },
  expired: { zh: '已过期', en: 'Expired' },
};

function verdict(d: ApprovalDecision): Bilingual {
  const by = clip(d.by ?? '', MAX_NAME_CHARS);
  switch (d.status) {
    case 'approved':
    case 'running':
      return {
        zh: `${by} 已批准，命令正在以申请人的身份执行。`,
        en: `${by} approved; the command is running as the requester.`,
      };
    case 'done':
      return d.outcome === 'ok'
        ? { zh: `${by} 已批准，命令已执行（只执行一次）。`, en: `${by} approved; the command ran (once).` }
        : {
            zh: `${by} 已批准，但命令没有执行成功（${d.outcome ?? '未知'}），结果见申请人的回复。`,
            en: `${by} approved, but the command did not complete (${d.outcome ?? 'unknown'}); the requester's reply says why.`,
          };
    case 'rejected':
      return { zh: `${by} 拒绝了这个请求，什么都没有执行。`, en: `${by} rejected the request; nothing ran.` };
    case 'withdrawn':
      return { zh: `${by} 撤回了这个请求，什么都没有执行。`, en: `${by} withdrew the request; nothing ran.` };
    case 'expired':
      return {
        zh: '无人及时批准，请求已作废，什么都没有执行。',
        en: 'Nobody approved in time: the request expired and nothing ran.',
      };
  }
}

/** What every card of the request shows once it is decided. */
export function approvalDecidedCard(v: ApprovalRequestView, d: ApprovalDecision): Card {
  const els = new Elements();
  const text = verdict(d);
  els.markdown(`${escapeMd(text.zh)}\n${escapeMd(text.en)}`);
  describe(els, v);
  if (d.reason) els.markdown(`**理由 · Reason**\n${escapeMd(clip(d.reason, 500))}`);
  if (d.status === 'rejected' || d.status === 'expired' || d.status === 'withdrawn')
    els.markdown(grey('需要时可以重新发送命令，再次申请 · Send the command again to ask anew'));
  const colour = d.status === 'done' && d.outcome === 'ok' ? 'green' : d.status === 'rejected' ? 'red' : 'blue';
  return envelope(TITLES[d.status], d.status === 'approved' || d.status === 'running' ? 'wathet' : colour, els);
}
