/**
 * The message box: command completion from the bot's own command catalog (typing `/`), @mention completion from
 * the seeded directory (typing `@`), Enter to send. Arrow keys move through suggestions; Tab or Enter takes one.
 * The paper clip sends a CSV or XLSX file as a file message (for /bulk).
 */
import type { CatalogEntry } from '../protocol.js';
import type { User } from './api.js';
import { fill, h } from './dom.js';
import { inLanguage } from './language.js';
import { flagsOf } from './people.js';

interface Suggestion {
  /** Replaces the text from `from` to the caret. */
  insert: string;
  from: number;
  title: string;
  detail: string;
  /** True when taking it would change nothing: Enter then sends. */
  complete: boolean;
}

export interface ComposerHooks {
  commands(): readonly CatalogEntry[];
  /** The Feishu client language of the person typing: summaries show in it. */
  language(): string;
  users(): readonly User[];
  /** The app's tenant, to mark people of another. */
  tenantKey(): string | undefined;
  send(text: string): Promise<void>;
  attach(file: File): Promise<void>;
}

export class Composer {
  readonly root: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly list: HTMLUListElement;
  private suggestions: Suggestion[] = [];
  private active = 0;

  constructor(private readonly hooks: ComposerHooks) {
    this.input = h('textarea', {
      id: 'composer-input',
      rows: 2,
      placeholder: '输入 / 查看命令，@ 提及同事，回车发送 · Type / for commands, @ to mention, Enter to send',
      'aria-autocomplete': 'list',
    });
    this.list = h('ul', { id: 'suggestions', role: 'listbox', hidden: true });
    const sendButton = h(
      'button',
      { class: 'btn btn-primary', id: 'send', onclick: () => void this.submit() },
      '发送 · Send',
    );
    const fileInput = h('input', {
      type: 'file',
      id: 'attach-input',
      accept: '.csv,.tsv,.txt,.xlsx',
      hidden: true,
      onchange: () => {
        const file = fileInput.files?.[0];
        fileInput.value = ''; // the same file again is a new send
        if (file) void this.hooks.attach(file).catch(() => undefined); // the page says why it failed
      },
    });
    const attachButton = h(
      'button',
      {
        class: 'btn',
        id: 'attach',
        title: '发送 CSV / XLSX 文件 · Send a CSV / XLSX file',
        onclick: () => fileInput.click(),
      },
      '📎 文件 · File',
    );
    this.root = h(
      'div',
      { class: 'composer' },
      this.list,
      h('div', { class: 'composer-row' }, attachButton, fileInput, this.input, sendButton),
    );
    this.input.addEventListener('input', () => this.refresh());
    this.input.addEventListener('click', () => this.refresh());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
  }

  private onKey(e: KeyboardEvent): void {
    if (e.isComposing) return; // Enter that ends an IME composition (Chinese input) is not a send
    const open = this.suggestions.length > 0;
    if (open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      this.active =
        (this.active + (e.key === 'ArrowDown' ? 1 : -1) + this.suggestions.length) % this.suggestions.length;
      this.render();
    } else if (open && e.key === 'Escape') {
      e.preventDefault();
      this.close();
    } else if (
      open &&
      (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey && !this.suggestions[this.active]?.complete))
    ) {
      e.preventDefault();
      this.take(this.active);
    } else if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void this.submit();
    }
  }

  private async submit(): Promise<void> {
    const text = this.input.value.trim();
    if (!text) return;
    this.close();
    this.input.value = '';
    try {
      await this.hooks.send(text);
    } catch {
      this.input.value = text; // nothing typed is lost when the send fails (the page says why)
    }
  }

  /** What is being typed at the caret: a command at the start, or an @mention anywhere. */
  private refresh(): void {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret);
    const command = /^(\s*(?:@bot\s+)?)[/／]([^\s]*(?:\s[^\s]*)?)$/.exec(before);
    const mention = /(^|\s)@([^\s@]*)$/.exec(before);
    if (command) this.suggestions = this.commandSuggestions(command[1]?.length ?? 0, (command[2] ?? '').toLowerCase());
    else if (mention)
      this.suggestions = this.mentionSuggestions(
        caret - (mention[2]?.length ?? 0) - 1,
        (mention[2] ?? '').toLowerCase(),
      );
    else this.suggestions = [];
    this.active = 0;
    this.render();
  }

  private commandSuggestions(from: number, typed: string): Suggestion[] {
    const words = typed.replace(/\s+/g, ' ');
    return this.hooks
      .commands()
      .filter((c) => c.command.startsWith(words))
      .map((c) => ({
        insert: `/${c.command} `,
        from,
        title: c.usage,
        detail: inLanguage(c.summary, c.summary.zh_cn, this.hooks.language()),
        complete: words === c.command,
      }));
  }

  private mentionSuggestions(from: number, typed: string): Suggestion[] {
    const bot: Suggestion[] = 'bot'.startsWith(typed)
      ? [{ insert: '@bot ', from, title: '@bot', detail: '机器人 · the bot', complete: false }]
      : [];
    const people = this.hooks
      .users()
      .filter((u) => [u.name, u.en_name.toLowerCase(), u.email.toLowerCase()].some((s) => s.includes(typed)))
      .map((u) => ({
        insert: `@${u.name} `,
        from,
        title: `@${u.name}`,
        complete: false,
        detail: [u.en_name, u.job_title, ...flagsOf(u, this.hooks.tenantKey())].filter(Boolean).join(' · '),
      }));
    return [...people, ...bot];
  }

  private take(i: number): void {
    const s = this.suggestions[i];
    if (!s) return;
    const caret = this.input.selectionStart;
    const value = this.input.value;
    this.input.value = value.slice(0, s.from) + s.insert + value.slice(caret).replace(/^\s+/, '');
    const at = s.from + s.insert.length;
    this.input.setSelectionRange(at, at);
    this.input.focus();
    this.refresh();
    // A taken suggestion that leaves the same text would reopen forever: close when nothing new is offered.
    if (this.suggestions.every((x) => x.complete)) this.close();
  }

  private close(): void {
    this.suggestions = [];
    this.render();
  }

  private render(): void {
    this.list.hidden = this.suggestions.length === 0;
    fill(
      this.list,
      this.suggestions.map((s, i) => {
        const item = h(
          'li',
          { role: 'option', class: i === this.active ? 'active' : '', 'aria-selected': String(i === this.active) },
          h('b', {}, s.title),
          h('span', {}, s.detail),
        );
        item.addEventListener('mousedown', (e) => {
          e.preventDefault();
          this.take(i);
        });
        return item;
      }),
    );
  }
}
