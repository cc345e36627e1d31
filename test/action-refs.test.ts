/**
 * Actions as values: a button is built by its action's reference, so the compiler catches args that the handler's
 * schema would refuse and buttons made without a registered reference. The `@ts-expect-error` lines are checked by
 * `tsc` (npm run lint): if one of them compiled, tsc would fail on the unused directive.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { successCard, type CardButton } from '../cards/index.js';
import { addMembersAction, chatMailgroupAction } from '../handlers/group-buttons.js';
import { defineAction, type ActionRef } from '../src/actions.js';
import { App } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { RecordingGateway } from './helpers/recording-gateway.js';

const look = { label: { zh_cn: '发送', en_us: 'Send', ja_jp: 'Send' } };
const sendDraft = defineAction(
  'draft.send',
  z.object({ draftId: z.string().min(1), copies: z.number().int().default(1) }),
);

describe('action references', () => {
  it('build buttons whose value is { action: name, ...args } and whose args follow the schema input', () => {
    const button = sendDraft.button({ draftId: 'd_1' }, { ...look, style: 'primary' });
    expect(button.value).toEqual({ draftId: 'd_1', action: 'draft.send' });
    expectTypeOf(sendDraft.button).parameter(0).toEqualTypeOf<{ draftId: string; copies?: number | undefined }>();
    expectTypeOf(addMembersAction.button).parameter(0).toEqualTypeOf<{ chatId: string }>();
  });

  it('refuse at build time args that pass the type but not the schema', () => {
    expect(() => sendDraft.button({ draftId: '' }, look)).toThrow(/draft\.send has invalid args/);
    expect(() => chatMailgroupAction.button({ chatId: 'not-a-chat' }, look)).toThrow(/group\.mailgroup/);
  });

  it('refuse names that are not family.verb and args named "action"', () => {
    expect(() => defineAction('send', z.object({}))).toThrow(/family\.verb/);
    expect(() => defineAction('draft.send', z.object({ action: z.string() }))).toThrow(/routing key/);
  });

  it('route a click on their button to the handler registered with them', async () => {
    const gw = new RecordingGateway();
    const store = new SqliteStore(':memory:');
    try {
      const app = new App({ config: parseConfig({}, {}), gateway: gw, store });
      const seen: unknown[] = [];
      const ref = app.action(sendDraft, async (_ctx, args) => {
        expectTypeOf(args).toEqualTypeOf<{ draftId: string; copies: number }>();
        seen.push(args);
      });
      expect(ref).toBe(sendDraft);
      const { value } = sendDraft.button({ draftId: 'd_9' }, look);
      await app.handleCard({
        kind: 'card',
        type: 'card.action.trigger',
        id: 'cb_1',
        dedupeKey: 'cb_1',
        receivedAt: 0,
        payload: {
          schema: '2.0',
          event: { operator: { open_id: 'ou_a' }, token: 'c-1', action: { value, tag: 'button' } },
        },
      });
      expect(seen).toEqual([{ draftId: 'd_9', copies: 1 }]);
      expect(() => app.action(sendDraft, async () => {})).toThrow(/registered twice/);
    } finally {
      await store.close();
    }
  });

  it('do not compile with wrong args, a stale shape, or a handler for another schema', () => {
    const _compileOnly = (app: App) => {
      // @ts-expect-error a misspelt arg
      sendDraft.button({ draftID: 'd_1' }, look);
      // @ts-expect-error an arg of the wrong type
      sendDraft.button({ draftId: 1 }, look);
      // @ts-expect-error a missing required arg
      addMembersAction.button({}, look);
      successCard({
        title: look.label,
        // @ts-expect-error a button written as a string action and args, as before refs: no handler is bound to it
        actions: [{ label: look.label, action: 'group.add-members', args: { chatId: 'oc_1' } }],
      });
      // @ts-expect-error a hand-made value without a ref is not a CardButton
      const _forged: CardButton = { label: look.label, value: { action: 'group.add-members', chatId: 'oc_1' } };
      // @ts-expect-error a handler written for another action's args
      app.action(sendDraft, async (_ctx, { chatId }: { chatId: string }) => void chatId);
      // @ts-expect-error registering by name: a renamed action would no longer match its buttons
      app.action('draft.send', sendDraft.schema, async () => {});
      const renamed: ActionRef<z.ZodObject<{ id: z.ZodString }>> = defineAction(
        'draft.send',
        z.object({ id: z.string() }),
      );
      // @ts-expect-error the old args against a ref whose schema was changed
      renamed.button({ draftId: 'd_1' }, look);
    };
    expectTypeOf(_compileOnly).toBeFunction();
  });
});
