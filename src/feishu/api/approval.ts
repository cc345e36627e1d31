/**
 * Native Feishu approvals (approval/v4): subscribe to a definition's events, open an instance for a request, read
 * who decided it, cancel it. Tenant token only. Feishu pages: "订阅审批事件", "创建审批实例", "获取单个审批实例详情",
 * "撤回审批实例".
 */
import { z } from 'zod';
import type { FeishuClient } from '../client/client.js';
import { need, parse } from '../client/wire.js';
import { openIdSchema } from './shared.js';

export const createInstanceSchema = z.object({
  approvalCode: z.string().min(1),
  /** The initiator: the person who asked. */
  openId: openIdSchema,
  /** The form's control values, as Feishu's JSON array [{id, type, value}]; sent as a string. */
  form: z.array(z.object({ id: z.string().min(1), type: z.string().min(1), value: z.string() })).min(1),
  /** Approvers for nodes whose approvers the initiator chooses: node id → open_ids. */
  nodeApprovers: z.record(z.string(), z.array(openIdSchema).min(1)).optional(),
  /** Feishu's idempotency key for the create: one instance per uuid. */
  uuid: z.string().min(1).max(64),
});
export type CreateInstanceInput = z.input<typeof createInstanceSchema>;

export interface ApprovalInstance {
  instanceCode: string;
  status: string;
  /** The initiator's open_id. */
  openId: string;
  /** Tasks (one per approver and node) with their status: APPROVED names who approved. */
  tasks: { openId?: string; status: string }[];
  /** Comments on the instance (a rejection's reason), oldest first. */
  comments: { openId?: string; comment: string }[];
}

export class ApprovalApi {
  constructor(private readonly c: FeishuClient) {}

  /** Events of the definition reach the app only once it is subscribed (per definition, once per app). */
  async subscribe(approvalCode: string): Promise<void> {
    parse(z.string().min(1), approvalCode, 'approvals.subscribe');
    await this.c.call('approval.subscribe', {}, (o) =>
      this.c.sdk.approval.v4.approval.subscribe({ path: { approval_code: approvalCode } }, o),
    );
  }

  async createInstance(input: CreateInstanceInput): Promise<{ instanceCode: string }> {
    const p = parse(createInstanceSchema, input, 'approvals.createInstance');
    const res = await this.c.call('approval.instance.create', { idempotent: true }, (o) =>
      this.c.sdk.approval.v4.instance.create(
        {
          data: {
            approval_code: p.approvalCode,
            open_id: p.openId,
            form: JSON.stringify(p.form),
            uuid: p.uuid,
            ...(p.nodeApprovers
              ? { node_approver_open_id_list: Object.entries(p.nodeApprovers).map(([key, value]) => ({ key, value })) }
              : {}),
          },
        },
        o,
      ),
    );
    return { instanceCode: need(res.data?.instance_code, 'approval.instance.create', 'data.instance_code') };
  }

  async getInstance(instanceCode: string): Promise<ApprovalInstance> {
    parse(z.string().min(1), instanceCode, 'approvals.getInstance');
    const res = await this.c.call('approval.instance.get', {}, (o) =>
      this.c.sdk.approval.v4.instance.get(
        { path: { instance_id: instanceCode }, params: { user_id_type: 'open_id' } },
        o,
      ),
    );
    const d = res.data;
    return {
      instanceCode: need(d?.instance_code, 'approval.instance.get', 'data.instance_code'),
      status: need(d?.status, 'approval.instance.get', 'data.status'),
      openId: d?.open_id ?? '',
      tasks: (d?.task_list ?? []).map((t) => ({ ...(t.open_id ? { openId: t.open_id } : {}), status: t.status })),
      comments: (d?.comment_list ?? []).map((c) => ({
        ...(c.open_id ? { openId: c.open_id } : {}),
        comment: c.comment,
      })),
    };
  }

  /** Withdraws a pending instance on the initiator's behalf (the definition must allow withdrawing). */
  async cancelInstance(approvalCode: string, instanceCode: string, openId: string): Promise<void> {
    parse(openIdSchema, openId, 'approvals.cancelInstance');
    await this.c.call('approval.instance.cancel', {}, (o) =>
      this.c.sdk.approval.v4.instance.cancel(
        {
          params: { user_id_type: 'open_id' },
          data: { approval_code: approvalCode, instance_code: instanceCode, user_id: openId },
        },
        o,
      ),
    );
  }
}
