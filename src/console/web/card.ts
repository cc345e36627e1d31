/**
 * Renders Feishu card JSON (2.0, and the 1.0 shapes still in use) as the client would: header colours, markdown,
 * buttons with confirm dialogs and callbacks, forms with inputs and selects, columns, dividers, notes, panels, every
 * text in the reader's language (`i18n_content`, `i18n_default_value`). Whatever it cannot render is shown as its
 * JSON with the reason, never dropped.
 */
import type { User } from './api.js';
import { h, jsonBlock } from './dom.js';
import { inLanguage } from './language.js';
import { renderMarkdown } from './markdown.js';
import { active, PersonPicker } from './people.js';
import { confirmDialog } from './ui.js';

type Obj = Record<string, unknown>;

/** What a click sends back through the emulator: the button's callback action, its label and any form values. */
export interface Press {
  action?: string;
  label: string;
  formValue?: Record<string, unknown>;
}

export interface CardHooks {
  press(p: Press): Promise<void>;
  /** Follows a button's open_url link, as the person using the console. */
  open(url: string): void;
  /** open_id → name, for <at> in markdown. */
  users: ReadonlyMap<string, string>;
  /** Everyone in the emulator's directory, for person pickers. */
  directory: readonly User[];
  /** The app's tenant: people of another one are not offered. */
  tenantKey: string | undefined;
  /** Who is in a chat (its owner too), when the console knows the chat. */
  chatMembers(chatId: string): readonly string[] | undefined;
  /** The reader's Feishu client language (zh_cn, en_us, ja_jp…). */
  language: string;
}

/** Inputs of the form being rendered, read when its submit button is pressed. */
interface FormScope {
  fields: Map<string, () => unknown>;
  form: HTMLElement;
  /** The chat the form is for, when its submit button's value names one (`chatId`, `chat_id`). */
  chatId?: string;
}

interface Ctx {
  hooks: CardHooks;
  /** The card's `config.locales`: where a text lacking both the reader's language and `content` falls back. */
  locales: readonly string[];
  form?: FormScope;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A plain_text / lark_md / markdown object's text (1.0's `i18n` too) in the reader's language, or a bare string. */
function textOf(t: unknown, ctx: Ctx): string {
  if (typeof t === 'string') return t;
  if (!isObj(t)) return '';
  return inLanguage(t.i18n_content ?? t.i18n, t.content, ctx.hooks.language, ctx.locales);
}

function textNode(t: unknown, ctx: Ctx): Node {
  if (isObj(t) && t.tag === 'lark_md') return renderMarkdown(textOf(t, ctx), ctx.hooks.users);
  return h('span', { class: 'plain' }, textOf(t, ctx));
}

export function unsupported(value: unknown, reason: string): HTMLElement {
  return h(
    'div',
    { class: 'unsupported' },
    h('p', {}, `⚠ 控制台无法显示 · Cannot show this: ${reason}`),
    jsonBlock('JSON', value, true),
  );
}

export function renderCard(card: unknown, hooks: CardHooks): HTMLElement {
  if (!isObj(card)) return unsupported(card, 'a card must be a JSON object');
  if (card.type === 'template')
    return unsupported(card, 'template cards live in the Feishu card builder; the emulator has no template store');
  const v2 = card.schema === '2.0';
  const elements = v2 ? (isObj(card.body) ? card.body.elements : undefined) : card.elements;
  if (!Array.isArray(elements)) {
    return unsupported(
      card,
      v2
        ? 'a 2.0 card needs body.elements (an array)'
        : 'this card has no elements array (i18n_elements are not rendered)',
    );
  }
  const config = isObj(card.config) ? card.config : {};
  const ctx: Ctx = { hooks, locales: Array.isArray(config.locales) ? config.locales.map(str) : [] };
  const header = isObj(card.header) ? renderHeader(card.header, ctx) : null;
  return h(
    'div',
    { class: 'card' },
    header,
    h(
      'div',
      { class: 'card-body' },
      elements.map((e) => element(e, ctx)),
    ),
  );
}

function renderHeader(header: Obj, ctx: Ctx): HTMLElement {
  const template = str(header.template) || 'default';
  const tags = Array.isArray(header.text_tag_list) ? header.text_tag_list.filter(isObj) : [];
  const el = h(
    'div',
    { class: `card-header hdr-${/^[a-z]+$/.test(template) ? template : 'default'}` },
    h(
      'div',
      { class: 'card-title' },
      textOf(header.title, ctx),
      ...tags.map((t) => h('span', { class: 'text-tag' }, textOf(t.text, ctx))),
    ),
    header.subtitle ? h('div', { class: 'card-subtitle' }, textOf(header.subtitle, ctx)) : null,
  );
  return el;
}

function element(el: unknown, ctx: Ctx): Node {
  if (!isObj(el) || typeof el.tag !== 'string') return unsupported(el, 'an element must be an object with a "tag"');
  switch (el.tag) {
    case 'markdown':
    case 'lark_md':
      return aligned(renderMarkdown(textOf(el, ctx), ctx.hooks.users), el);
    case 'plain_text':
      return aligned(h('div', { class: 'plain' }, textOf(el, ctx)), el);
    case 'div':
      return div(el, ctx);
    case 'hr':
      return h('hr', { class: 'card-hr' });
    case 'note':
      return h(
        'div',
        { class: 'note' },
        (Array.isArray(el.elements) ? el.elements : []).map((e) =>
          isObj(e) && (e.tag === 'plain_text' || e.tag === 'lark_md') ? textNode(e, ctx) : element(e, ctx),
        ),
      );
    case 'button':
      return button(el, ctx);
    case 'action':
      return h(
        'div',
        { class: 'actions' },
        (Array.isArray(el.actions) ? el.actions : []).map((a) => element(a, ctx)),
      );
    case 'column_set':
      return h(
        'div',
        { class: 'columns' },
        (Array.isArray(el.columns) ? el.columns : []).map((c) => column(c, ctx)),
      );
    case 'form':
      return form(el, ctx);
    case 'input':
      return input(el, ctx);
    case 'select_static':
      return select(el, ctx);
    case 'select_person':
    case 'multi_select_person':
      return personPicker(el, ctx);
    case 'collapsible_panel':
      return h(
        'details',
        { class: 'panel', open: el.expanded === true },
        h('summary', {}, isObj(el.header) ? textOf(el.header.title, ctx) : ''),
        (Array.isArray(el.elements) ? el.elements : []).map((e) => element(e, ctx)),
      );
    case 'img':
    case 'img_combination':
      return unsupported(el, "images live in Feishu's image store (img_key); the emulator keeps no image bytes");
    default:
      return unsupported(el, `the console does not render "${el.tag}" elements yet`);
  }
}

function aligned(node: HTMLElement, el: Obj): HTMLElement {
  const align = str(el.text_align);
  if (align === 'center' || align === 'right') node.style.textAlign = align;
  return node;
}

function div(el: Obj, ctx: Ctx): HTMLElement {
  const fields = Array.isArray(el.fields) ? el.fields.filter(isObj) : [];
  return h(
    'div',
    { class: 'div' },
    el.text ? textNode(el.text, ctx) : null,
    fields.length
      ? h(
          'div',
          { class: 'fields' },
          fields.map((f) => h('div', { class: f.is_short ? 'field short' : 'field' }, textNode(f.text, ctx))),
        )
      : null,
    isObj(el.extra) ? element(el.extra, ctx) : null,
  );
}

function column(c: unknown, ctx: Ctx): Node {
  if (!isObj(c) || c.tag !== 'column') return unsupported(c, 'a column_set holds elements with tag "column"');
  const col = h(
    'div',
    { class: 'column' },
    (Array.isArray(c.elements) ? c.elements : []).map((e) => element(e, ctx)),
  );
  const weight = typeof c.weight === 'number' ? c.weight : 1;
  col.style.flex = c.width === 'auto' ? '0 0 auto' : `${weight} 1 0`;
  return col;
}

function form(el: Obj, ctx: Ctx): HTMLElement {
  const node = h('form', { class: 'card-form' });
  node.addEventListener('submit', (e) => e.preventDefault());
  const submit = (Array.isArray(el.elements) ? el.elements : [])
    .filter(isObj)
    .find((e) => e.tag === 'button' && (e.form_action_type === 'submit' || e.action_type === 'form_submit'));
  const value = (Array.isArray(submit?.behaviors) ? submit.behaviors : [])
    .filter(isObj)
    .find((b) => b.type === 'callback')?.value;
  const chatId = isObj(value) ? str(value.chatId) || str(value.chat_id) : '';
  const scope: FormScope = { fields: new Map(), form: node, ...(chatId ? { chatId } : {}) };
  node.append(...(Array.isArray(el.elements) ? el.elements : []).map((e) => element(e, { ...ctx, form: scope })));
  return node;
}

function input(el: Obj, ctx: Ctx): HTMLElement {
  const name = str(el.name);
  const multiline = el.input_type === 'multiline_text';
  const field = multiline
    ? h('textarea', { placeholder: textOf(el.placeholder, ctx), rows: typeof el.rows === 'number' ? el.rows : 3 })
    : h('input', {
        type: el.input_type === 'password' ? 'password' : 'text',
        placeholder: textOf(el.placeholder, ctx),
      });
  field.value = inLanguage(el.i18n_default_value, el.default_value, ctx.hooks.language, ctx.locales);
  if (typeof el.max_length === 'number') field.maxLength = el.max_length;
  if (ctx.form && name) ctx.form.fields.set(name, () => field.value);
  const label = el.label
    ? h('span', { class: 'label' }, textOf(el.label, ctx), el.required ? h('span', { class: 'required' }, ' *') : null)
    : null;
  return h(
    'label',
    { class: 'card-input' },
    label,
    field,
    !ctx.form ? h('small', { class: 'hint' }, '（表单外的输入框只在表单中提交 · only submitted inside a form）') : null,
  );
}

function select(el: Obj, ctx: Ctx): HTMLElement {
  const options = (Array.isArray(el.options) ? el.options : []).filter(isObj);
  const node = h(
    'select',
    {},
    h('option', { value: '' }, textOf(el.placeholder, ctx) || '请选择 · Choose'),
    options.map((o) => h('option', { value: str(o.value) }, textOf(o.text, ctx))),
  );
  node.value = str(el.initial_option);
  const name = str(el.name);
  if (ctx.form && name) ctx.form.fields.set(name, () => node.value);
  return h('label', { class: 'card-input' }, node);
}

/**
 * Person pickers (Feishu "人员选择-单选", "人员选择-多选"): the options' open_ids when the card lists them. Without options
 * Feishu offers the members of the chat the card is in; the sandbox's forms sit in a p2p chat with the bot, so the
 * console stands in its directory instead: the people still employed in the app's tenant, less those already in the
 * chat the form is for (its owner among them). Multi → an array of open_ids in form_value.
 */
function personPicker(el: Obj, ctx: Ctx): HTMLElement {
  const { directory, tenantKey } = ctx.hooks;
  const listed = (Array.isArray(el.options) ? el.options : [])
    .filter(isObj)
    .map((o) => str(o.value))
    .filter(Boolean);
  const inChat = new Set(ctx.form?.chatId ? (ctx.hooks.chatMembers(ctx.form.chatId) ?? []) : []);
  const people = listed.length
    ? directory.filter((u) => listed.includes(u.open_id))
    : directory.filter((u) => active(u, tenantKey) && !inChat.has(u.open_id));
  const multi = el.tag === 'multi_select_person';
  const picker = new PersonPicker({
    people,
    tenantKey,
    multi,
    placeholder: textOf(el.placeholder, ctx) || '搜索姓名或邮箱 · Search a name or address',
    preset: Array.isArray(el.selected_values) ? el.selected_values.map(str) : [str(el.initial_option)],
  });
  const name = str(el.name);
  if (ctx.form && name) ctx.form.fields.set(name, () => (multi ? picker.value : (picker.value[0] ?? '')));
  return h('div', { class: 'card-input' }, picker.root);
}

function button(el: Obj, ctx: Ctx): HTMLElement {
  const label = textOf(el.text, ctx);
  const type = str(el.type) || 'default';
  const behaviors = (Array.isArray(el.behaviors) ? el.behaviors : []).filter(isObj);
  const callback = behaviors.find((b) => b.type === 'callback');
  const value = isObj(callback?.value) ? callback.value : isObj(el.value) ? el.value : undefined;
  const openUrl = behaviors.find((b) => b.type === 'open_url');
  const url = str(openUrl?.default_url) || str(el.url) || (isObj(el.multi_url) ? str(el.multi_url.url) : '');
  const submit = el.form_action_type === 'submit' || el.action_type === 'form_submit';
  const reset = el.form_action_type === 'reset' || el.action_type === 'form_reset';
  const node = h(
    'button',
    { type: 'button', class: `btn btn-${/^[a-z_]+$/.test(type) ? type : 'default'}`, disabled: el.disabled === true },
    label,
  );
  const scope = ctx.form;
  node.addEventListener('click', async () => {
    if (reset && scope) return (scope.form as HTMLFormElement).reset();
    if (isObj(el.confirm) && !(await confirmDialog(textOf(el.confirm.title, ctx), textOf(el.confirm.text, ctx))))
      return;
    if (url) ctx.hooks.open(url);
    if (!value && !submit) return;
    const formValue =
      submit && scope ? Object.fromEntries([...scope.fields].map(([k, read]) => [k, read()])) : undefined;
    node.disabled = true;
    node.classList.add('pending');
    try {
      await ctx.hooks.press({
        ...(typeof value?.action === 'string' ? { action: value.action } : {}),
        label,
        ...(formValue ? { formValue } : {}),
      });
    } finally {
      node.disabled = false;
      node.classList.remove('pending');
    }
  });
  return node;
}
