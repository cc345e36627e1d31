/** Lists written as each language writes them. */
import { compose, t, type Text } from './i18n.js';

/** Names and Texts as a sentence lists them (Intl.ListFormat): "A, B and C", "A、B和C", "A、B、C". */
export const listText = (items: readonly (Text | string)[]): Text =>
  compose((say, locale) =>
    new Intl.ListFormat(locale.replace('_', '-'), { type: 'conjunction' }).format(items.map(say)),
  );

/** Commands or values, one after another: no "和" or "または" glued to a command in Chinese or Japanese. */
export const listCodes = (items: readonly string[]): Text => compose((say) => items.join(say(t('app.listSeparator'))));
