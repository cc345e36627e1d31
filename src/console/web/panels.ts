/** The side panels: raw pushes (events and card callbacks), Open API calls with answers, emulator objects. */
import type { Call, Callback, EmulatorState, Eml, PushedEvent, User } from './api.js';
import { fill, h, jsonBlock, time } from './dom.js';

const MAX_ROWS = 300;

/** Events and callbacks as pushed to the bot, newest first; an event's row is redrawn as its attempts come in. */
export class TrafficPanel {
  readonly root = h('div', { class: 'rows', id: 'panel-events' });
  private readonly rows = new Map<number, HTMLElement>();
  /** Ask for what came after this: held back while an event is still pending, so its outcome is seen. */
  since = 0;

  merge(events: readonly PushedEvent[], callbacks: readonly Callback[]): void {
    for (const e of events) this.rows.set(e.seq, eventRow(e));
    for (const c of callbacks) this.rows.set(c.seq, callbackRow(c));
    const seqs = [...this.rows.keys()].sort((a, b) => b - a);
    for (const old of seqs.slice(MAX_ROWS)) this.rows.delete(old);
    const pending = events.filter((e) => e.state === 'pending').map((e) => e.seq);
    this.since = pending.length ? Math.min(...pending) - 1 : Math.max(this.since, ...seqs.slice(0, 1));
    if (events.length || callbacks.length) fill(this.root, seqs.slice(0, MAX_ROWS).map((seq) => this.rows.get(seq)));
  }
}

function eventRow(e: PushedEvent): HTMLElement {
  const last = e.attempts.at(-1);
  const outcome = last ? (last.status !== undefined ? `HTTP ${last.status}` : last.error ?? '') : '…';
  return h('div', { class: `row ev-${e.state}` },
    jsonBlock(h('span', {}, h('b', {}, `#${e.seq} 事件 event `), e.type, ` → ${outcome} · ${e.state} · ${e.attempts.length}×`),
      { attempts: e.attempts, payload: e.payload }));
}

function callbackRow(c: Callback): HTMLElement {
  const outcome = c.error ? `失败 failed: ${c.error}` : `HTTP ${c.status ?? '?'} in ${Math.round(c.ms)} ms`;
  return h('div', { class: `row cb ${c.error ? 'bad' : ''}` },
    jsonBlock(h('span', {}, h('b', {}, `#${c.seq} 回调 callback `), `card.action.trigger ${c.messageId.slice(0, 12)}… → ${outcome}`),
      { payload: c.payload, answer: c.response }));
}

/** The bot's Open API calls with the emulator's answers, newest first. */
export class CallsPanel {
  readonly root = h('div', { class: 'rows', id: 'panel-calls' });
  private readonly rows: HTMLElement[] = [];
  private readonly pending = new Map<number, HTMLElement>();
  last = 0;

  add(calls: readonly Call[]): void {
    for (const c of calls) {
      const el = callRow(c);
      // A call still running has status 0: asked for again until it has its answer.
      const old = this.pending.get(c.seq);
      if (old) old.replaceWith(el);
      else this.rows.unshift(el);
      if (c.status === 0) this.pending.set(c.seq, el);
      else this.pending.delete(c.seq);
    }
    this.rows.splice(MAX_ROWS);
    const settled = calls.filter((c) => c.status !== 0).map((c) => c.seq);
    const waiting = [...this.pending.keys()];
    this.last = waiting.length ? Math.min(...waiting) - 1 : Math.max(this.last, ...settled);
    fill(this.root, this.rows);
  }
}

function callRow(c: Call): HTMLElement {
  const ok = c.status === 200 && (c.code === 0 || c.code === undefined);
  const outcome = c.status === 0 ? '…' : `${c.status}${c.code !== undefined ? ` · code ${c.code}` : ''}`;
  return h('div', { class: `row call ${ok ? '' : 'bad'} ${c.fault ? 'fault' : ''}` },
    jsonBlock(h('span', {}, h('b', {}, `${c.method} `), c.path, ` → ${outcome}`, c.fault ? ' ⚡ 注入故障 injected' : '', h('small', {}, ` ${time(c.at)} ${c.caller}`)),
      { query: c.query, body: c.body, answer: c.answer ?? '(no answer: lost or still running)' }));
}

/** Chats, mail groups, contacts, drafts and sent mail, re-drawn only when they change. */
export class ObjectsPanel {
  readonly root = h('div', { class: 'objects', id: 'panel-objects' });
  private shown = '';

  show(s: EmulatorState): void {
    const key = JSON.stringify([s.chats, s.mail]);
    if (key === this.shown) return;
    this.shown = key;
    const name = (id: string) => s.users.find((u) => u.open_id === id)?.name ?? (id === s.app.appId ? s.app.appName : id);
    const mail = s.mail;
    fill(this.root,
      section('群聊 · Chats', s.chats.filter((c) => c.chatMode === 'group').map((c) =>
        jsonBlock(`${c.name} · ${c.chatId} · 群主 owner ${name(c.ownerId)} · ${c.members.length} 人 members`, { ...c, memberNames: c.members.map(name) }))),
      section('邮件组 · Mail groups', (mail?.mailgroups ?? []).map((g) =>
        jsonBlock(`${g.email} · ${g.name} · ${g.members.length} 成员 members · ${g.who_can_send_mail}`, g))),
      section('邮箱联系人 · Mail contacts', Object.entries(mail?.contacts ?? {}).flatMap(([box, list]) =>
        list.map((c) => jsonBlock(`${c.name} ${c.mail_address ?? ''} · 属于 in ${box}`, c)))),
      section('草稿 · Drafts', (mail?.drafts ?? []).map((d) => mailItem(`${d.mailbox}`, d.summary, d))),
      section('已发送 · Sent mail', (mail?.sent ?? []).map((m) => mailItem(`${m.mailbox} · ${time(m.sentAt)}`, m.summary, m))),
      section('用户 · Directory', s.users.map((u) => userLine(u))));
  }
}

function section(title: string, items: HTMLElement[]): HTMLElement {
  return h('section', {}, h('h4', {}, `${title}（${items.length}）`), items.length ? items : h('p', { class: 'empty' }, '暂无 · none yet'));
}

const addr = (a: { mail_address: string; name: string } | undefined) => (a ? (a.name ? `${a.name} <${a.mail_address}>` : a.mail_address) : '—');

/** A mail as its parsed MIME says: headers, text body, attachments; the full record under JSON. */
function mailItem(where: string, m: Eml, record: unknown): HTMLElement {
  return h('details', { class: 'mail' },
    h('summary', {}, `${m.subject || '(无主题 no subject)'} · ${where}`),
    h('dl', {},
      h('dt', {}, 'From'), h('dd', {}, addr(m.from)),
      h('dt', {}, 'To'), h('dd', {}, m.to.map(addr).join(', ') || '—'),
      m.cc.length ? [h('dt', {}, 'Cc'), h('dd', {}, m.cc.map(addr).join(', '))] : null,
      m.attachments.length ? [h('dt', {}, '附件 Files'), h('dd', {}, m.attachments.map((a) => `${a.filename} (${a.mimeType}, ${a.size} B)`).join(', '))] : null),
    h('pre', { class: 'mail-text' }, m.text || '(no text part)'),
    jsonBlock('JSON', record));
}

function userLine(u: User): HTMLElement {
  const flags = [u.resigned ? '已离职 resigned' : '', u.invisible ? '不可见 invisible' : ''].filter(Boolean).join(' · ');
  return h('div', { class: 'user-line' }, h('b', {}, u.name), ` ${u.en_name} · ${u.job_title} · ${u.enterprise_email}${flags ? ` · ${flags}` : ''}`);
}
