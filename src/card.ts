/**
 * The card and text types shared by cards/ (which builds cards) and the framework (which sends them, and whose
 * errors and help speak both languages): a module below both, so neither reaches into the other for a type.
 */
export type Card = Record<string, unknown>;

/** Chinese shown first, English second. */
export interface Bilingual {
  zh: string;
  en: string;
}

declare const fromActionRef: unique symbol;

/**
 * A button made by an action reference (`ref.button(args, look)` in src/actions.ts): only refs make them, so a
 * card cannot carry a button whose action name or args no handler accepts.
 */
export interface CardButton {
  readonly label: Bilingual;
  /** The callback value, `{ action: name, ...args }`: the app routes card.action.trigger on `action`. */
  readonly value: Readonly<Record<string, unknown>>;
  readonly style?: 'primary' | 'default' | 'danger';
  readonly confirm?: Bilingual;
  readonly [fromActionRef]: true;
}
