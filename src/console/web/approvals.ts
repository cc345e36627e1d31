/**
 * The approver's inbox: what waits in the emulated Feishu Approval app for the person picked in "I am" (native
 * approvals, approvals.mode "feishu"), with 批准 Approve and 拒绝 Reject (with an optional comment), as an approver
 * would decide in Feishu. Deciding pushes the approval instance event to the bot.
 */
import { z } from 'zod/mini';
import { call, post } from './api.js';
import { fill, h, time } from './dom.js';
import { toast } from './ui.js';

const taskSchema = z.looseObject({
  instance: z.string(),
  approval: z.string(),
  initiator: z.string(),
  form: z.string(),
  startTime: z.number(),
});
type Task = z.infer<typeof taskSchema>;
const inboxSchema = z.looseObject({ tasks: z.array(taskSchema) });

export class ApprovalInbox {
  readonly root = h('div', { class: 'approvals', id: 'approval-inbox' });
  readonly #list = h('ul', { class: 'approval-tasks' });
  /** Redrawn only when the tasks change, so a comment being typed survives a poll. */
  #shown = '';
  #user = '';

  constructor(private readonly changed: () => Promise<void>) {
    this.root.append(h('h4', {}, '审批待办 · Approval inbox (Feishu Approval)'), this.#list);
  }

  /** Never throws: an inbox that cannot be read says so here, and the rest of the page goes on polling. */
  async refresh(user: string): Promise<void> {
    let tasks: Task[];
    try {
      ({ tasks } = await call(`/_emulator/approvals/inbox?user=${encodeURIComponent(user)}`, inboxSchema));
    } catch (err) {
      this.#shown = '';
      return fill(
        this.#list,
        h('li', { class: 'hint' }, `无法读取审批待办 · Cannot read the inbox: ${(err as Error).message}`),
      );
    }
    const key = `${user}|${tasks.map((t) => t.instance).join(',')}`;
    if (key === this.#shown) return;
    this.#shown = key;
    this.#user = user;
    fill(
      this.#list,
      tasks.length ? tasks.map((t) => this.#task(t)) : h('li', { class: 'hint' }, '没有待审批 · Nothing waits for you'),
    );
  }

  #task(t: Task): HTMLElement {
    const comment = h('input', { 'aria-label': '意见 · comment', placeholder: '意见（可选）· comment (optional)' });
    const decide = async (decision: 'approve' | 'reject') => {
      try {
        await post(
          '/_emulator/approvals/decide',
          {
            instance: t.instance,
            by: this.#user,
            decision,
            ...(comment.value.trim() ? { comment: comment.value.trim() } : {}),
          },
          z.unknown(),
        );
        toast(decision === 'approve' ? '已批准 · Approved' : '已拒绝 · Rejected', 'success');
      } catch (err) {
        toast(`审批失败 · ${(err as Error).message}`, 'error');
      }
      this.#shown = '';
      await this.changed();
    };
    return h(
      'li',
      { 'data-instance': t.instance },
      h('b', {}, `${t.initiator} · ${t.approval}`),
      h('small', {}, ` ${time(t.startTime)}`),
      h('pre', { class: 'approval-form' }, t.form),
      comment,
      h('button', { class: 'btn btn-primary', onclick: () => void decide('approve') }, '批准 · Approve'),
      h('button', { class: 'btn btn-default', onclick: () => void decide('reject') }, '拒绝 · Reject'),
    );
  }
}
