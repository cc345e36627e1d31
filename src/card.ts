/**
 * The card and text types shared by cards/ (which builds cards) and the framework (which sends them, and whose
 * errors and help speak every language of the catalog): a module below both, so neither reaches into the other for a type.
 */
import type { Locale, Text } from './i18n.js';

/**
 * A card in Feishu's card JSON 2.0 ("卡片 JSON 2.0 结构", https://open.feishu.cn/document/feishu-cards/card-json-v2-structure),
 * typed for exactly the components the bot emits. Closed types on purpose: 2.0 refuses a property it does not know
 * instead of ignoring it, and dropped 1.0's `action` module and `note` component ("卡片 JSON 2.0 版本更新说明",
 * https://open.feishu.cn/document/feishu-cards/card-json-v2-breaking-changes-release-notes), so a tag or field that
 * is not listed here does not compile. Add a component from its 2.0 page when a card needs one. Types only: building
 * and sending a card costs nothing more. Aliases, not interfaces, so a Card still fits `Record<string, unknown>`.
 */
export type Card = {
  schema: '2.0';
  /** 2.0 cards are shared cards only: `update_multi` must be true. */
  config: {
    update_multi: true;
    width_mode?: 'default' | 'compact' | 'fill';
    /** What a chat list shows for the card. */
    summary?: { content: string; i18n_content?: Localized };
    /** The languages the card carries, its default first. */
    locales?: Locale[];
  };
  header?: { title: PlainText; template: HeaderTemplate };
  body: { elements: BodyElement[] };
};

type HeaderTemplate =
  | 'blue'
  | 'wathet'
  | 'turquoise'
  | 'green'
  | 'yellow'
  | 'orange'
  | 'red'
  | 'carmine'
  | 'violet'
  | 'purple'
  | 'indigo'
  | 'grey'
  | 'default';

/**
 * Per-component i18n ("配置卡片多语言"): the reader's client shows `i18n_content[its language]`, else `content`
 * (the default language). Card JSON 2.0 has no whole-card i18n.
 */
export type Localized = Partial<Record<Locale, string>>;

/** Literal text. */
export type PlainText = { tag: 'plain_text'; content: string; i18n_content?: Localized };

/** Every 2.0 component may carry an id: unique in the card, `[A-Za-z][A-Za-z0-9_]*`, at most 20 characters. */
type Component = { element_id?: string };

export type MarkdownElement = Component & { tag: 'markdown'; content: string; i18n_content?: Localized };

export type HrElement = Component & { tag: 'hr' };

/** What a click does: call the bot back with `value` (card.action.trigger), or open a page. */
type Behavior =
  | { type: 'callback'; value: Readonly<Record<string, unknown>> }
  | { type: 'open_url'; default_url: string; pc_url?: string; ios_url?: string; android_url?: string };

export type ButtonElement = Component & {
  tag: 'button';
  /** 'default' when unset. */
  type?:
    | 'default'
    | 'primary'
    | 'danger'
    | 'text'
    | 'primary_text'
    | 'danger_text'
    | 'primary_filled'
    | 'danger_filled'
    | 'laser';
  text: PlainText;
  /** Required here: every button the bot sends calls it back with an action or opens a page. */
  behaviors: Behavior[];
  confirm?: { title: PlainText; text: PlainText };
  /** In a form: the button submits the form, and then needs a `name`. */
  form_action_type?: 'submit';
  name?: string;
};

type InputElement = Component & {
  tag: 'input';
  name: string;
  label?: PlainText;
  required?: boolean;
  placeholder?: PlainText;
  default_value?: string;
  /** The pre-filled text in the reader's language; only for text the bot wrote, never what a user typed. */
  i18n_default_value?: Localized;
  max_length?: number;
  input_type?: 'text' | 'multiline_text' | 'password';
  /** Only with `input_type: 'multiline_text'`. */
  rows?: number;
  auto_resize?: boolean;
};

type SelectStaticElement = Component & {
  tag: 'select_static';
  name: string;
  required?: boolean;
  placeholder?: PlainText;
  options: { text: PlainText; value: string }[];
  /** The `value` of the option chosen at first. */
  initial_option?: string;
};

/** Feishu's person picker: it submits the chosen open_ids. */
type MultiSelectPersonElement = Component & {
  tag: 'multi_select_person';
  name: string;
  required?: boolean;
  placeholder?: PlainText;
};

/** What a form submits as `form_value[name]`. */
export type FieldElement = InputElement | SelectStaticElement | MultiSelectPersonElement;

/** A 2.0 form holds any component but another form (or a table); its submit button sends every field at once. */
export type FormElement = Component & {
  tag: 'form';
  name: string;
  elements: (MarkdownElement | HrElement | ButtonElement | FieldElement)[];
};

type BodyElement = MarkdownElement | HrElement | ButtonElement | FormElement;

declare const fromActionRef: unique symbol;

/**
 * A button made by an action reference (`ref.button(args, look)` in src/actions.ts): only refs make them, so a
 * card cannot carry a button whose action name or args no handler accepts.
 */
export interface CardButton {
  readonly label: Text;
  /** The callback value, `{ action: name, ...args }`: the app routes card.action.trigger on `action`. */
  readonly value: Readonly<Record<string, unknown>>;
  readonly style?: 'primary' | 'default' | 'danger';
  readonly confirm?: Text;
  readonly [fromActionRef]: true;
}
