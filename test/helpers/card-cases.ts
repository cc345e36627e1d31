/**
 * Every card builder with inputs filled by one recipe: the largest a user, the directory or a handler could hand
 * it (test/cards.test.ts, held to 30 KB), or a small realistic one (test/card-languages.test.ts, read per language).
 * The two tests check the same builders, and each checks that every builder has a case.
 */
import * as cards from '../../cards/index.js';
import type { Card, CardButton } from '../../cards/index.js';
import { same, type Text } from '../../src/i18n.js';

export interface Fill {
  /** A value as users, the directory or Feishu give it (a name, an address, an id); `tag` tells them apart. */
  text(tag: string): string;
  /** A text of ours (a title, a note). */
  words: Text;
  /** A text of ours that is one entry of a list. */
  item: Text;
  /** `n` values of about `size` characters (a recipe may give fewer). */
  many(n: number, size: number): string[];
  button: CardButton;
  error: cards.ExplainedError;
}

export function cardCases(f: Fill): Record<string, () => Card> {
  const approval: cards.ApprovalRequestView = {
    line: f.text('line'),
    requester: f.text('name'),
    approvers: f.words,
    expires: f.text('t'),
    native: true,
    twoPerson: true,
  };
  const listed = (): cards.ApprovalListItem[] =>
    f
      .many(200, 2_000)
      .map((line) => ({ line, requester: f.text('r'), status: 'pending', at: f.text('t'), by: f.text('b') }));
  return {
    successCard: () =>
      cards.successCard({
        title: f.words,
        summary: f.words,
        fields: Array.from({ length: 50 }, () => ({ label: f.item, value: f.text('v') })),
        list: { label: f.words, items: f.many(5_000, 2_000) },
        actions: [f.button],
        note: f.words,
      }),
    errorCard: () =>
      cards.errorCard({
        title: f.words,
        problems: Array.from({ length: 500 }, () => f.item),
        code: 1,
        nextStep: f.words,
        example: f.text('/x'),
        reference: f.text('r'),
      }),
    feishuErrorCard: () => cards.feishuErrorCard(f.words, f.error, f.text('/draft')),
    progressCard: () =>
      cards.progressCard({
        title: f.words,
        steps: f.many(300, 2_000).map((d) => ({ label: f.item, state: 'failed' as const, detail: d })),
        note: f.words,
      }),
    helpCard: () =>
      cards.helpCard({
        commands: f.many(200, 2_000).map((u) => ({ usage: u, summary: f.item, examples: f.many(5, 2_000) })),
        family: f.text('f'),
        focus: {
          usage: f.text('/u'),
          summary: f.words,
          details: Array.from({ length: 50 }, () => f.item),
          examples: f.many(50, 2_000),
        },
      }),
    welcomeCard: () =>
      cards.welcomeCard({
        botName: f.text('bot'),
        commands: f.many(500, 2_000).map((u) => ({ usage: u, summary: f.item })),
        inGroup: true,
      }),
    formCard: () =>
      cards.formCard({
        title: f.words,
        summary: f.words,
        note: f.words,
        submit: f.button,
        fields: [
          { kind: 'input', name: 'email', label: f.words, value: f.text('e') },
          { kind: 'input', name: 'name', label: f.words, value: f.text('n'), maxLength: 100 },
          {
            kind: 'select',
            name: 'who',
            label: f.words,
            value: 'a',
            options: Array.from({ length: 50 }, (_, i) => ({ value: `o${i}`, label: f.item })),
          },
          { kind: 'people', name: 'members', label: f.words },
        ],
      }),
    workflowProgressCard: () =>
      cards.workflowProgressCard({
        workflow: 'onboard',
        subject: f.text('h'),
        trigger: f.text('t'),
        actions: [f.button],
        steps: f.many(100, 2_000).map((d) => ({ label: f.item, state: 'failed' as const, detail: d, reason: f.item })),
      }),
    workflowPlanCard: () =>
      cards.workflowPlanCard({
        workflow: 'offboard',
        subject: f.text('h'),
        steps: Array.from({ length: 50 }, () => ({
          label: f.item,
          values: f.many(200, 2_000),
          problems: [f.item, f.item],
        })),
        adminChat: [f.item],
      }),
    workflowRunsCard: () => {
      // One trigger and time for every run, as long as a list entry.
      const [trigger = '', at = ''] = f.many(2, 2_000);
      return cards.workflowRunsCard({
        workflow: 'offboard',
        runs: f.many(1_000, 2_000).map((h) => ({
          subject: h,
          trigger,
          done: 1,
          total: 2,
          failed: [h, trigger],
          waiting: 0,
          attention: 1,
          at,
        })),
      });
    },
    hireWelcomeCard: () => cards.hireWelcomeCard({ title: f.text('t'), body: f.text('b') }),
    offboardNoticeCard: () =>
      cards.offboardNoticeCard({
        leaver: f.text('l'),
        done: f.many(100, 2_000).map((d) => ({ label: f.item, detail: d })),
        needs: f.many(100, 2_000).map(() => ({ label: f.item, reason: f.item })),
      }),
    signInNeededCard: () => cards.signInNeededCard({ why: f.words }),
    signInCard: () =>
      cards.signInCard({
        url: 'https://accounts.feishu.cn/open-apis/authen/v1/authorize?state=s',
        validMinutes: 10,
        resume: f.text('/draft'),
        reason: f.words,
      }),
    signedInCard: () =>
      cards.signedInCard({ name: f.text('n'), mailbox: f.text('m'), until: f.text('u'), justSignedIn: true }),
    draftPreviewCard: () =>
      cards.draftPreviewCard({
        from: f.text('f'),
        to: f.many(1_000, 200),
        cc: f.many(1_000, 200),
        bcc: f.many(1_000, 200),
        subject: f.text('s'),
        excerpt: f.text('e'),
        size: 1e9,
        actions: [f.button, f.button, f.button],
        note: f.words,
      }),
    draftEditCard: () =>
      cards.draftEditCard({
        to: f.text('to'),
        cc: f.text('cc'),
        bcc: f.text('bcc'),
        subject: f.text('s'),
        body: f.text('body'),
        save: f.button,
        cancel: f.button,
      }),
    mailSentCard: () =>
      cards.mailSentCard({
        from: f.text('f'),
        recipients: f.many(5_000, 200),
        subject: f.text('s'),
        messageId: f.text('m'),
        threadId: f.text('t'),
        note: f.words,
      }),
    mailHeldCard: () =>
      cards.mailHeldCard({
        from: f.text('f'),
        recipients: f.many(5_000, 200),
        subject: f.text('s'),
        seconds: 10,
        sendsAt: f.text('t'),
        undo: f.button,
      }),
    undoResultCard: () =>
      cards.undoResultCard({
        title: f.words,
        undone: f.many(1_000, 2_000).map(same),
        left: f.many(1_000, 2_000).map((t) => ({ label: f.item, problem: same(t) })),
        retry: f.button,
      }),
    undoOfferCard: () =>
      cards.undoOfferCard({
        heading: f.words,
        title: f.words,
        when: f.text('w'),
        effects: f.many(1_000, 2_000).map(same),
        undo: f.button,
        note: f.words,
      }),
    auditCard: () =>
      cards.auditCard({
        scope: f.words,
        rows: f.many(500, 2_000).map((t) => ({
          when: t,
          who: t,
          action: t,
          target: t,
          result: 'ok' as const,
          detail: t,
          state: f.item,
          undo: f.button,
        })),
        more: 10,
      }),
    whoamiCard: () =>
      cards.whoamiCard({
        name: f.text('n'),
        ids: [{ label: 'open_id', value: f.text('o') }, { label: 'user_id', value: 'u_1' }, { label: 'union_id' }],
        idsNote: f.words,
        admin: false,
        roles: f.many(2_000, 50),
        allowed: f.many(2_000, 50),
        refused: f.many(2_000, 50).map((command) => ({ command, allow: f.words })),
        signIn: { signedIn: true, mailbox: f.text('m'), until: f.text('u') },
      }),
    bulkPlanCard: () =>
      cards.bulkPlanCard({
        noun: f.words,
        create: f.many(300, 2_000).map((t, n) => ({ n, label: t })),
        exists: f.many(300, 2_000).map((t, n) => ({ n, label: t, existing: t })),
        invalid: f.many(300, 2_000).map((t, n) => ({ n, label: t, problems: [{ column: t, reason: f.words }] })),
        time: f.words,
        actions: [f.button, f.button],
        note: f.words,
      }),
    bulkProgressCard: () =>
      cards.bulkProgressCard({
        noun: f.words,
        rows: f.many(300, 2_000).map((t, n) => ({ n, label: t, state: 'failed' as const, detail: t, reason: f.words })),
        finished: true,
        actions: [f.button, f.button],
      }),
    approvalWaitingCard: () => cards.approvalWaitingCard(approval, f.button),
    approverCard: () => cards.approverCard(approval, f.button, f.button),
    approvalDecidedCard: () =>
      cards.approvalDecidedCard(approval, {
        status: 'rejected',
        by: f.text('by'),
        reason: f.text('why'),
        outcome: 'ok',
      }),
    approvalListCard: () => cards.approvalListCard({ waiting: listed(), mine: listed() }),
  };
}

/** The card builders cards/index.ts exports. */
export const cardBuilders = (): string[] =>
  Object.entries(cards)
    .filter(([name, v]) => typeof v === 'function' && name.endsWith('Card'))
    .map(([name]) => name);
