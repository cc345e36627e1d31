/** The side panels: raw pushes (events and card callbacks), Open API calls with answers, emulator objects. */
import type { Call, Callback, Chat, EmulatorState, Eml, PushedEvent, RemovedMail, User } from './api.js';
import { fill, h, jsonBlock, time } from './dom.js';
import { flagsOf } from './people.js';

const MAX_ROWS = 300;

/** Rows by seq, newest first; a row is rebuilt only when what it shows changed, so an opened one stays open. */
class Rows {
  readonly root: HTMLElement;
  private readonly rows = new Map<number, { key: string; el: HTMLElement }>();

  constructor(id: string) {
    this.root = h('div', { class: 'rows', id });
  }

  upsert(seq: number, value: unknown, build: () => HTMLElement): void {
    const key = JSON.stringify(value);
    if (this.rows.get(seq)?.key !== key) this.rows.set(seq, { key, el: build() });
  }

  render(): void {
    const seqs = [...this.rows.keys()].sort((a, b) => b - a);
    for (const old of seqs.splice(MAX_ROWS)) this.rows.delete(old);
    const els = seqs.map((seq) => this.rows.get(seq)?.el);
    if (els.length !== this.root.childElementCount || els.some((el, i) => this.root.children[i] !== el))
      fill(this.root, els);
  }
}

/**
 * Where to ask from next time: before the oldest item still settling (so its outcome is seen), unless it has been
 * settling for more polls than `patience` (an answer that was lost never settles).
 */
class Since {
  value = 0;
  private readonly waited = new Map<number, number>();

  constructor(private readonly patience: number) {}

  next(seen: readonly number[], settling: readonly number[]): number {
    const waiting = settling.filter((seq) => {
      const polls = (this.waited.get(seq) ?? 0) + 1;
      this.waited.set(seq, polls);
      return polls <= this.patience;
    });
    for (const seq of this.waited.keys()) if (!settling.includes(seq)) this.waited.delete(seq);
    this.value = waiting.length ? Math.min(...waiting) - 1 : Math.max(this.value, ...seen);
    return this.value;
  }
}

/** ~30 s of polls: longer than any deadline a push or a call has before it settles. */
const PATIENCE = 45;

/** Events and callbacks as pushed to the bot; an event's row is redrawn as its attempts come in. */
export class TrafficPanel {
  private readonly list = new Rows('panel-events');
  private readonly since = new Since(PATIENCE);
  readonly root = this.list.root;

  get last(): number {
    return this.since.value;
  }

  merge(events: readonly PushedEvent[], callbacks: readonly Callback[]): void {
    for (const e of events) this.list.upsert(e.seq, e, () => eventRow(e));
    for (const c of callbacks) this.list.upsert(c.seq, c, () => callbackRow(c));
    this.list.render();
    this.since.next(
      [...events, ...callbacks].map((x) => x.seq),
      events.filter((e) => e.state === 'pending').map((e) => e.seq),
    );
  }
}

function eventRow(e: PushedEvent): HTMLElement {
  const last = e.attempts.at(-1);
  const outcome = last ? (last.status !== undefined ? `HTTP ${last.status}` : (last.error ?? '')) : '…';
  return h(
    'div',
    { class: `row ev-${e.state}` },
    jsonBlock(
      h(
        'span',
        {},
        h('b', {}, `#${e.seq} 事件 event `),
        e.type,
        ' → ',
        h('span', { class: 'outcome' }, `${outcome} · ${e.state} · ${e.attempts.length}×`),
      ),
      { attempts: e.attempts, payload: e.payload },
    ),
  );
}

function callbackRow(c: Callback): HTMLElement {
  const outcome = c.error ? `失败 failed: ${c.error}` : `HTTP ${c.status ?? '?'} in ${Math.round(c.ms)} ms`;
  return h(
    'div',
    { class: `row cb ${c.error ? 'bad' : ''}` },
    jsonBlock(
      h(
        'span',
        {},
        h('b', {}, `#${c.seq} 回调 callback `),
        `card.action.trigger ${c.messageId.slice(0, 12)}… → `,
        h('span', { class: 'outcome' }, outcome),
      ),
      { payload: c.payload, answer: c.response },
    ),
  );
}

/** The bot's Open API calls with the emulator's answers; a call still running (status 0) is asked for again. */
export class CallsPanel {
  private readonly list = new Rows('panel-calls');
  private readonly since = new Since(PATIENCE);
  readonly root = this.list.root;

  get last(): number {
    return this.since.value;
  }

  add(calls: readonly Call[]): void {
    for (const c of calls) this.list.upsert(c.seq, c, () => callRow(c));
    this.list.render();
    this.since.next(
      calls.map((c) => c.seq),
      calls.filter((c) => c.status === 0).map((c) => c.seq),
    );
  }
}

function callRow(c: Call): HTMLElement {
  const ok = c.status === 200 && (c.code === 0 || c.code === undefined);
  const outcome = c.status === 0 ? '…' : `${c.status}${c.code !== undefined ? ` · code ${c.code}` : ''}`;
  return h(
    'div',
    { class: `row call ${ok ? '' : 'bad'} ${c.fault ? 'fault' : ''}` },
    jsonBlock(
      h(
        'span',
        {},
        h('b', {}, `${c.method} `),
        c.path,
        ' → ',
        h('span', { class: 'outcome' }, outcome),
        c.fault ? ' ⚡ 注入故障 injected' : '',
        h('small', {}, ` ${time(c.at)} ${c.caller}`),
      ),
      { query: c.query, body: c.body, answer: c.answer ?? '(no answer: lost or still running)' },
    ),
  );
}

/** Chats, mail groups, contacts, drafts and sent mail, re-drawn only when they change. */
export class ObjectsPanel {
  readonly root = h('div', { class: 'objects', id: 'panel-objects' });
  private shown = '';

  show(s: EmulatorState): void {
    const recalled = s.messages.filter((m) => m.deleted);
    const key = JSON.stringify([s.chats, s.mail, s.users, recalled.map((m) => m.messageId)]);
    if (key === this.shown) return;
    this.shown = key;
    const name = (id: string) =>
      s.users.find((u) => u.open_id === id)?.name ?? (id === s.app.appId ? s.app.appName : id);
    const mail = s.mail;
    fill(
      this.root,
      section(
        '群聊 · Chats',
        s.chats.filter((c) => c.chatMode === 'group').map((c) => chatItem(c, name)),
      ),
      section(
        '邮件组 · Mail groups',
        (mail?.mailgroups ?? []).map((g) =>
          jsonBlock(`${g.email} · ${g.name} · ${g.members.length} 成员 members · ${g.who_can_send_mail}`, g),
        ),
      ),
      section(
        '邮箱联系人 · Mail contacts',
        Object.entries(mail?.contacts ?? {}).flatMap(([box, list]) =>
          list.map((c) => jsonBlock(`${c.name} ${c.mail_address ?? ''} · 属于 in ${box}`, c)),
        ),
      ),
      section('已移除 · Removed (撤销 Undo, 离职 offboarding)', [
        ...(mail?.removed ?? []).map((r) => jsonBlock(removedLine(r, name), r)),
        ...recalled.map((m) =>
          jsonBlock(gone(`消息已撤回 recalled · ${m.messageId} · ${name(m.sender.id)} · ${time(m.updatedAt)}`), m),
        ),
      ]),
      section(
        '草稿 · Drafts',
        (mail?.drafts ?? []).map((d) => mailItem(`${d.mailbox}`, d.summary, d)),
      ),
      section(
        '已发送 · Sent mail',
        (mail?.sent ?? []).map((m) => mailItem(`${m.mailbox} · ${time(m.sentAt)}`, m.summary, m)),
      ),
      section(
        '用户 · Directory',
        s.users.map((u) => userLine(u, s.app.tenantKey)),
      ),
    );
  }
}

/** Struck through: what an Undo or an offboarding took away stays visible as removed. */
const gone = (text: string) => h('s', { class: 'removed' }, text);

/** A group chat; a dissolved one struck through, members the API removed listed struck through. */
function chatItem(c: Chat, name: (id: string) => string): HTMLElement {
  const line = `${c.name} · ${c.chatId} · 群主 owner ${name(c.ownerId)} · ${c.members.length} 人 members`;
  const removed = c.removedMembers ?? [];
  const summary = h(
    'span',
    {},
    c.dissolvedAt === undefined ? line : gone(`已解散 dissolved ${time(c.dissolvedAt)} · ${line}`),
    removed.length ? ' · 移出 removed ' : null,
    removed.flatMap((id) => [gone(name(id)), ' ']),
  );
  return jsonBlock(summary, { ...c, memberNames: c.members.map(name) });
}

function removedLine(r: RemovedMail, name: (id: string) => string): HTMLElement {
  const when = time(r.at);
  if (r.kind === 'mailgroup') return gone(`邮件组已删除 mail group deleted · ${r.email} · ${r.name} · ${when}`);
  if (r.kind === 'member') {
    const who = r.member?.openId ? name(r.member.openId) : (r.member?.email ?? r.member?.type ?? '');
    return gone(`邮件组成员已移出 member removed · ${who} · from ${r.mailgroup} · ${when}`);
  }
  const c = r.contact;
  return gone(`联系人已删除 contact deleted · ${c?.name ?? ''} ${c?.mail_address ?? ''} · in ${r.mailbox} · ${when}`);
}

function section(title: string, items: HTMLElement[]): HTMLElement {
  return h(
    'section',
    {},
    h('h4', {}, `${title}（${items.length}）`),
    items.length ? items : h('p', { class: 'empty' }, '暂无 · none yet'),
  );
}

const addr = (a: { mail_address: string; name: string } | undefined) =>
  a ? (a.name ? `${a.name} <${a.mail_address}>` : a.mail_address) : '—';

/** A mail as its parsed MIME says: headers, text body, attachments; the full record under JSON. */
function mailItem(where: string, m: Eml, record: unknown): HTMLElement {
  return h(
    'details',
    { class: 'mail' },
    h('summary', {}, `${m.subject || '(无主题 no subject)'} · ${where}`),
    h(
      'dl',
      {},
      h('dt', {}, 'From'),
      h('dd', {}, addr(m.from)),
      h('dt', {}, 'To'),
      h('dd', {}, m.to.map(addr).join(', ') || '—'),
      m.cc.length ? [h('dt', {}, 'Cc'), h('dd', {}, m.cc.map(addr).join(', '))] : null,
      m.attachments.length
        ? [
            h('dt', {}, '附件 Files'),
            h('dd', {}, m.attachments.map((a) => `${a.filename} (${a.mimeType}, ${a.size} B)`).join(', ')),
          ]
        : null,
    ),
    h('pre', { class: 'mail-text' }, m.text || '(no text part)'),
    jsonBlock('JSON', record),
  );
}

function userLine(u: User, tenantKey: string | undefined): HTMLElement {
  const flags = flagsOf(u, tenantKey);
  return h(
    'div',
    { class: 'user-line' },
    h('b', {}, u.name),
    ` ${u.en_name} · ${u.job_title || '（无职位 no job title）'} · ${u.enterprise_email}`,
    flags.length ? h('span', { class: 'flag' }, ` · ${flags.join('；')}`) : null,
  );
}
