/**
 * People as the console shows them: each directory user with what limits them (departed, outside the app's contact
 * scope, another tenant), and a searchable person picker for cards (Feishu "人员选择"), used like Feishu's: type
 * part of a name, an English name or an address, pick from the matches, remove a pick with its ×.
 */
import type { User } from './api.js';
import { fill, h } from './dom.js';

/** What the bot will meet with this user: why a look-up or a message fails, in the console's words. */
export function flagsOf(u: User, tenantKey: string | undefined): string[] {
  return [
    u.resigned ? '已离职 · departed' : '',
    // Feishu answers a look-up of such a user with 41050, and a message to them with 230013.
    u.invisible ? '不在应用通讯录范围 · outside the app’s contact scope (41050)' : '',
    tenantKey && u.tenant_key !== tenantKey ? '其他企业 · another tenant' : '',
  ].filter(Boolean);
}

/** "张伟 Zhang Wei", with the flags in brackets. */
export function personLabel(u: User, tenantKey: string | undefined): string {
  const flags = flagsOf(u, tenantKey);
  return `${u.name} ${u.en_name}${flags.length ? `（${flags.join('；')}）` : ''}`;
}

/** Whether the user can be picked for a new hire's leader or a chat: in this tenant and still employed. */
export const active = (u: User, tenantKey: string | undefined): boolean =>
  !u.resigned && (!tenantKey || u.tenant_key === tenantKey);

export interface PickerOptions {
  people: readonly User[];
  tenantKey: string | undefined;
  multi: boolean;
  placeholder: string;
  preset?: readonly string[];
}

/** Most matches listed at once; typing narrows them. */
const LISTED = 8;

export class PersonPicker {
  readonly root: HTMLElement;
  readonly #picked: string[];
  readonly #chips = h('span', { class: 'chips' });
  readonly #search: HTMLInputElement;
  readonly #list = h('ul', { class: 'picker-list', role: 'listbox', hidden: true });

  constructor(private readonly o: PickerOptions) {
    this.#picked = (o.preset ?? []).filter((id) => o.people.some((p) => p.open_id === id));
    this.#search = h('input', {
      type: 'search',
      class: 'picker-search',
      placeholder: o.placeholder,
      'aria-label': o.placeholder,
      autocomplete: 'off',
    });
    this.root = h('div', { class: 'picker' }, this.#chips, this.#search, this.#list);
    this.#search.addEventListener('input', () => this.#draw());
    this.#search.addEventListener('focus', () => this.#draw());
    this.#search.addEventListener('click', () => this.#draw());
    this.#search.addEventListener('blur', () => setTimeout(() => (this.#list.hidden = true), 150));
    this.#search.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.#list.hidden = true;
      if (e.key !== 'Enter' || e.isComposing) return;
      e.preventDefault();
      const first = this.#matches()[0];
      if (first) this.#pick(first.open_id);
    });
    this.#draw(false);
  }

  /** The picked open_ids, in the order picked. */
  get value(): string[] {
    return [...this.#picked];
  }

  #matches(): User[] {
    const q = this.#search.value.trim().toLowerCase();
    return this.o.people.filter(
      (p) =>
        !this.#picked.includes(p.open_id) &&
        (!q || [p.name, p.en_name, p.enterprise_email, p.email].some((v) => v.toLowerCase().includes(q))),
    );
  }

  #pick(id: string): void {
    if (!this.o.multi) this.#picked.splice(0);
    this.#picked.push(id);
    this.#search.value = '';
    // Closed after each pick, so that it covers nothing; typing or a click opens it again for the next one.
    this.#draw(false);
    if (this.o.multi) this.#search.focus();
  }

  #draw(open = true): void {
    const byId = new Map(this.o.people.map((p) => [p.open_id, p]));
    fill(
      this.#chips,
      this.#picked.map((id) =>
        h(
          'span',
          { class: 'chip', 'data-open-id': id },
          byId.get(id)?.name ?? id,
          h(
            'button',
            {
              type: 'button',
              class: 'chip-x',
              'aria-label': `移除 · remove ${byId.get(id)?.name ?? id}`,
              onclick: () => {
                this.#picked.splice(this.#picked.indexOf(id), 1);
                this.#draw(false);
              },
            },
            '×',
          ),
        ),
      ),
    );
    this.#search.hidden = !this.o.multi && this.#picked.length > 0;
    const matches = this.#matches();
    fill(
      this.#list,
      matches.length
        ? matches.slice(0, LISTED).map((p) => {
            const flags = flagsOf(p, this.o.tenantKey);
            return h(
              'li',
              {
                role: 'option',
                class: flags.length ? 'flagged' : '',
                // mousedown: before the search box's blur hides the list.
                onmousedown: (e) => {
                  e.preventDefault();
                  this.#pick(p.open_id);
                },
              },
              h('b', {}, p.name),
              ` ${p.en_name} `,
              h('small', {}, p.enterprise_email),
              flags.length ? h('small', { class: 'flag' }, ` ${flags.join('；')}`) : null,
            );
          })
        : h('li', { class: 'empty' }, '没有匹配的人 · nobody matches'),
      matches.length > LISTED
        ? h(
            'li',
            { class: 'empty' },
            `还有 ${matches.length - LISTED} 人，继续输入 · ${matches.length - LISTED} more: keep typing`,
          )
        : null,
    );
    this.#list.hidden = !open;
  }
}
