/**
 * Card actions as values: the button and the handler share one reference, so neither can drift from the other.
 *
 *   export const addMembers = defineAction('group.add-members', z.object({ chatId: z.string() }));
 *   app.action(addMembers, async (ctx, { chatId }) => …);                       // args: the schema's output
 *   successCard({ …, actions: [addMembers.button({ chatId }, { label: t('group.addMembers') })] });
 *
 * A button's args are type-checked against the schema's input and validated when the card is built; on the wire
 * its value stays `{ action: name, ...args }`, which the app routes on.
 *
 * Authorization: a click is checked like a command before its handler runs. `follows: 'mailgroup create'` makes
 * the action obey that command's rule in app.config.json `commands` (so a button cannot do what the command may
 * not); without it the action has its own rule, `commands["<action name>"]`. A button that follows a command needing
 * approval (`commands.<name>.approve`) is parked for approval like the command, unless it only opens a form
 * (`opensForm`): then the form's submit, which acts, is.
 */
import type { z } from 'zod';
import type { CardButton } from './card.js';
import type { Text } from './i18n.js';

export interface ButtonLook {
  label: Text;
  style?: 'primary' | 'default' | 'danger';
  /** Asks before the click is sent. */
  confirm?: Text;
}

/** A button's args: the schema's input, less the fields a form fills in when it is submitted. */
export type ButtonArgs<S extends z.ZodObject, F extends string> = Omit<z.input<S>, F>;

export interface ActionRef<S extends z.ZodObject = z.ZodObject, F extends string = never> {
  readonly name: string;
  readonly schema: S;
  /** The command whose rule this action obeys, or undefined for its own rule. */
  readonly follows: string | undefined;
  /** Title of the progress card shown when the handler outlasts the card budget. */
  readonly progress: Text | undefined;
  /** The fields its form fills in: the only ones read from `form_value`; the rest come from the button alone. */
  readonly form: readonly F[];
  /** It only posts a form and changes nothing: an approval its command needs waits for the form's submit. */
  readonly opensForm: boolean;
  button(args: ButtonArgs<S, F>, look: ButtonLook): CardButton;
}

const NAME = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;

/**
 * `form`: fields the submit button of a form leaves to the form (they arrive as `form_value`); the button carries
 * the rest, and the whole schema is checked when the click arrives. A submit is read only for these fields: the
 * user types the form's values, so they never override what the button was bound to.
 */
export function defineAction<S extends z.ZodObject, F extends string & keyof S['shape'] = never>(
  name: string,
  schema: S,
  opts: { follows?: string; form?: readonly F[]; progress?: Text; opensForm?: boolean } = {},
): ActionRef<S, F> {
  if (!NAME.test(name)) throw new Error(`action name "${name}" must look like family.verb, e.g. group.add-members`);
  if ('action' in schema.shape) throw new Error(`action ${name}: "action" is the routing key, not an argument name`);
  return {
    name,
    schema,
    follows: opts.follows,
    progress: opts.progress,
    form: opts.form ?? [],
    opensForm: opts.opensForm ?? false,
    button(args, look) {
      const own = opts.form?.length
        ? schema.omit(Object.fromEntries(opts.form.map((k) => [k, true])) as never)
        : schema;
      const checked = own.safeParse(args);
      if (!checked.success) throw new Error(`button for ${name} has invalid args: ${checked.error.message}`);
      // The brand is type-level only: refs are the one place that makes buttons.
      return { ...look, value: { ...args, action: name } } as unknown as CardButton;
    },
  };
}
