/**
 * Message content checks (Feishu "发送消息", "发送消息内容结构", "卡片 JSON 2.0 结构", "配置卡片多语言"): pure functions
 * that return the stored form or a problem the route turns into the documented code.
 */
import { FEISHU_CARD_LOCALES, isFeishuCardLocale } from '../protocol/card-locales.js';

/**
 * Card and post bodies ≤ 30 KB, text ≤ 150 KB (Feishu "发送消息"). The 30 KB holds wherever a card goes: sent,
 * replied, patched, updated by a callback token ("延时更新消息卡片": 卡片大小需控制在 30KB 以内) or answered to a callback.
 */
export const CARD_MAX_BYTES = 30 * 1024;
export const TEXT_MAX_BYTES = 150 * 1024;

function tooLong(what: string, text: string, max: number): string | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > max ? `${what} is ${bytes} bytes; the limit is ${max}` : undefined;
}

/** Why a card's JSON is refused for its size, or undefined when it fits. */
export const cardTooLarge = (json: string): string | undefined => tooLong('the card', json, CARD_MAX_BYTES);
const CARD_MAX_ELEMENTS = 200;
const ELEMENT_ID = /^[A-Za-z][A-Za-z0-9_]{0,19}$/;

export type ContentProblem =
  | { kind: 'invalid'; detail: string } // → 230001
  | { kind: 'too_long'; detail: string } // → 230025
  | { kind: 'card'; subCode: number; detail: string }; // → 230099

export type CheckedContent =
  { ok: true; card?: Record<string, unknown>; updateMulti: boolean } | { ok: false; problem: ContentProblem };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What each msg_type's content object must hold (beyond being a JSON object). */
const REQUIRED_KEY: Record<string, string | undefined> = {
  text: 'text',
  image: 'image_key',
  file: 'file_key',
  audio: 'file_key',
  media: 'file_key',
  sticker: 'file_key',
  share_chat: 'chat_id',
  share_user: 'user_id',
  post: undefined,
  interactive: undefined,
  system: undefined,
};

export function checkContent(msgType: string, content: string): CheckedContent {
  if (!(msgType in REQUIRED_KEY)) {
    return fail('invalid', `msg_type "${msgType}" is not one of ${Object.keys(REQUIRED_KEY).join(', ')}`);
  }
  if (msgType === 'text' || msgType === 'post' || msgType === 'interactive') {
    const detail = tooLong(`${msgType} content`, content, msgType === 'text' ? TEXT_MAX_BYTES : CARD_MAX_BYTES);
    if (detail) return { ok: false, problem: { kind: 'too_long', detail } };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    if (msgType === 'interactive') return cardFail(200621, 'content is not valid JSON');
    return fail('invalid', 'content must be a JSON string, e.g. "{\\"text\\":\\"hi\\"}"');
  }
  if (!isObject(parsed)) {
    return msgType === 'interactive'
      ? cardFail(200621, 'card content must be a JSON object')
      : fail('invalid', 'content must be a JSON object');
  }
  if (msgType === 'interactive') return checkCard(parsed);
  const key = REQUIRED_KEY[msgType];
  if (key && typeof parsed[key] !== 'string') return fail('invalid', `${msgType} content needs a string "${key}"`);
  if (msgType === 'post' && !Object.values(parsed).some(isObject)) {
    return fail('invalid', 'post content needs a locale object such as {"zh_cn":{"title":"…","content":[[…]]}}');
  }
  return { ok: true, updateMulti: false };
}

/** Validates a card (1.0, 2.0, template or card entity) and reports its update_multi. The card is kept as sent. */
export function checkCard(card: Record<string, unknown>): CheckedContent {
  if (card.type === 'template' || card.type === 'card') {
    if (!isObject(card.data)) return cardFail(200621, `a ${card.type} card needs a "data" object`);
    // Templates and card entities are shared cards in this emulator.
    return { ok: true, card, updateMulti: true };
  }
  const config = isObject(card.config) ? card.config : {};
  const languages = languageProblem(card, config);
  if (languages) return cardFail(200621, languages);
  if (card.schema === '2.0') {
    if (!isObject(card.body) || !Array.isArray(card.body.elements))
      return cardFail(200621, 'a schema 2.0 card needs body.elements');
    if (config.update_multi === false) return cardFail(200621, 'schema 2.0 cards support only update_multi: true');
    const walk = walkElements(card.body.elements);
    if (walk.problem) return { ok: false, problem: walk.problem };
    return { ok: true, card, updateMulti: true };
  }
  if (card.schema !== undefined)
    return cardFail(200621, `unknown card schema ${JSON.stringify(card.schema)}: use "2.0" or omit it for 1.0`);
  if (card.elements !== undefined && !Array.isArray(card.elements))
    return cardFail(200621, 'elements must be an array');
  return { ok: true, card, updateMulti: config.update_multi === true };
}

const LANGUAGES = FEISHU_CARD_LOCALES.join(', ');
/** The per-language twins of `content` (plain_text, markdown) and of an input's `default_value`. */
const LOCALIZED = new Set(['i18n_content', 'i18n_default_value']);

/** Why a map of languages to texts (`i18n_content`, a toast's `i18n`) is not one, or undefined when it is. */
function localizedProblem(value: unknown, where: string): string | undefined {
  if (!isObject(value)) return `${where} must be an object of language → text, e.g. {"zh_cn":"…","en_us":"…"}`;
  for (const [lang, text] of Object.entries(value)) {
    if (!isFeishuCardLocale(lang)) return `${where} has "${lang}", which is not a card language: use ${LANGUAGES}`;
    if (typeof text !== 'string') return `${where}.${lang} must be a string`;
  }
  return undefined;
}

/**
 * The card's languages ("配置卡片多语言"): `config.locales` lists card languages, and every `i18n_content` and
 * `i18n_default_value` (in the header, body, buttons, confirm dialogs, forms, `config.summary`) maps card languages
 * to strings. Callback values are the sender's own data, whatever keys they hold.
 */
function languageProblem(card: Record<string, unknown>, config: Record<string, unknown>): string | undefined {
  const locales = config.locales;
  if (
    locales !== undefined &&
    !(Array.isArray(locales) && locales.every((l) => typeof l === 'string' && isFeishuCardLocale(l)))
  )
    return `config.locales must be an array of card languages (${LANGUAGES}); got ${JSON.stringify(locales)}`;
  const stack: { node: unknown; path: string }[] = [{ node: card, path: 'card' }];
  while (stack.length) {
    const { node, path } = stack.pop()!;
    if (Array.isArray(node)) node.forEach((child, i) => stack.push({ node: child, path: `${path}[${i}]` }));
    if (!isObject(node)) continue;
    for (const [key, child] of Object.entries(node)) {
      if (key === 'behaviors' || key === 'value') continue;
      const where = `${path}.${key}`;
      if (!LOCALIZED.has(key)) stack.push({ node: child, path: where });
      else {
        const problem = localizedProblem(child, where);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

const TOAST_TYPES = ['info', 'success', 'error', 'warning'];

/**
 * Why a card callback's `toast` is not one Feishu shows ("卡片回传交互回调": `type` info, success, error or warning,
 * `content`, `i18n` of card languages), or undefined when it is.
 */
export function toastProblem(toast: unknown): string | undefined {
  if (!isObject(toast)) return 'toast must be an object such as {"type":"info","content":"…"}';
  if (toast.type !== undefined && !TOAST_TYPES.includes(toast.type as string))
    return `toast.type must be one of ${TOAST_TYPES.join(', ')}; got ${JSON.stringify(toast.type)}`;
  if (toast.content !== undefined && typeof toast.content !== 'string') return 'toast.content must be a string';
  return toast.i18n === undefined ? undefined : localizedProblem(toast.i18n, 'toast.i18n');
}

function walkElements(elements: unknown[]): { problem?: ContentProblem } {
  const ids = new Set<string>();
  let count = 0;
  const stack: unknown[] = [...elements];
  while (stack.length) {
    const el = stack.pop();
    if (!isObject(el))
      return { problem: { kind: 'card', subCode: 200621, detail: 'every element must be an object with a tag' } };
    count += 1;
    if (el.tag === 'action')
      return {
        problem: {
          kind: 'card',
          subCode: 200861,
          detail: 'tag "action" is not supported in schema 2.0: put buttons directly in elements',
        },
      };
    // The input component's max_length is 1–1,000 (卡片 JSON 2.0 输入框组件); its default value counts against it.
    if (el.tag === 'input' && typeof el.max_length === 'number' && (el.max_length < 1 || el.max_length > 1000)) {
      return {
        problem: {
          kind: 'card',
          subCode: 200621,
          detail: `input "${String(el.name)}" max_length ${el.max_length} is outside 1–1000`,
        },
      };
    }
    if (typeof el.element_id === 'string') {
      if (!ELEMENT_ID.test(el.element_id))
        return {
          problem: {
            kind: 'card',
            subCode: 200621,
            detail: `element_id "${el.element_id}" must match [A-Za-z][A-Za-z0-9_]* and be ≤ 20 chars`,
          },
        };
      if (ids.has(el.element_id))
        return { problem: { kind: 'card', subCode: 200621, detail: `element_id "${el.element_id}" is used twice` } };
      ids.add(el.element_id);
    }
    for (const k of ['elements', 'columns', 'actions']) {
      const children = el[k];
      if (Array.isArray(children)) stack.push(...children);
    }
  }
  if (count > CARD_MAX_ELEMENTS)
    return {
      problem: {
        kind: 'card',
        subCode: 11310,
        detail: `the card has ${count} elements; the limit is ${CARD_MAX_ELEMENTS}`,
      },
    };
  return {};
}

function fail(kind: 'invalid', detail: string): CheckedContent {
  return { ok: false, problem: { kind, detail } };
}

function cardFail(subCode: number, detail: string): CheckedContent {
  return { ok: false, problem: { kind: 'card', subCode, detail } };
}
