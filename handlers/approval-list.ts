/** `/approvals`: the requests waiting for the reader's approval, and those the reader asked for, with their fate. */
import { z } from 'zod';
import { approvalListCard, type ApprovalListItem } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { CommandSpec } from '../src/commands/spec.js';
import { t } from '../src/i18n.js';
import type { ApprovalDeps } from './approval-park.js';
import { isExpired, listed, openParked, openRequests, requestsBy, type RequestRecord } from './approval-records.js';
import { utcTime } from './sign-in.js';

const none = z.object({});
export const approvalsSpec: CommandSpec<typeof none> = {
  summary: t('approval.summary'),
  usage: '/approvals',
  examples: ['/approvals'],
  args: none,
};

/** `approvesNow`: whether a person may decide a request under the rules as configured now. */
export function registerApprovalList(
  app: App,
  deps: ApprovalDeps,
  approvesNow: (r: RequestRecord, openId: string) => boolean,
): void {
  app.command('approvals', approvalsSpec, async (ctx) => {
    const me = ctx.sender.openId;
    const at = ctx.now();
    const item = (r: RequestRecord): ApprovalListItem => ({
      line: openParked(deps.sealer, r)?.line ?? `/${r.rule}`,
      requester: r.requester.name,
      status: isExpired(r, at) ? 'expired' : r.status,
      at: utcTime(r.createdAt),
      ...(r.decision ? { by: r.decision.name } : {}),
    });
    const open = await listed(deps.store, await openRequests.list(deps.store, 'all', 200));
    const waiting = open.filter(
      (r) => r.status === 'pending' && !isExpired(r, at) && r.requester.openId !== me && approvesNow(r, me),
    );
    const mine = await listed(deps.store, await requestsBy.list(deps.store, me, 20));
    await ctx.reply(approvalListCard({ waiting: waiting.map(item), mine: mine.map(item) }));
  });
}
