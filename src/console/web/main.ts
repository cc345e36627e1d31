/**
 * The sandbox console: pick who you are and your Feishu client's language, chat with the bot (p2p and the group chats
 * you are in), see its cards in that language and click them, and watch the raw traffic. Everything goes through the
 * emulator's control API, as signed pushes. The page polls the emulator's state; a card the bot patches or updates
 * late is redrawn in place.
 */
import './style.css';
import type { CatalogEntry, Info } from '../protocol.js';
import { api, toastText, type Chat, type EmulatorState, type Message, type User } from './api.js';
import { renderCard, unsupported, type Press } from './card.js';
import { Composer } from './composer.js';
import { fill, h, time } from './dom.js';
import { languageName } from './language.js';
import { ApprovalInbox } from './approvals.js';
import { CallsPanel, ObjectsPanel, TrafficPanel } from './panels.js';
import { active, PersonPicker, personLabel } from './people.js';
import { toast } from './ui.js';

const POLL_MS = 700;
const AUTHORIZE_PATH = '/open-apis/authen/v1/authorize';
const P2P = 'p2p';

/** Fault presets: each shows one path of the bot's error handling. */
const FAULTS: { label: string; fault: Record<string, unknown> }[] = [
  {
    label: '建群接口限流两次 · chat create rate-limited twice (99991400, retried)',
    fault: { pathPrefix: '/open-apis/im/v1/chats', code: 99991400, count: 2 },
  },
  {
    label: '建群审核失败 · chat create refused by review (232023)',
    fault: { pathPrefix: '/open-apis/im/v1/chats', code: 232023, page: 'im-chat-create' },
  },
  {
    label: '邮件组接口慢 3 秒 · mail group API 3 s slow (late card update)',
    fault: { pathPrefix: '/open-apis/mail/v1/mailgroups', latencyMs: 3000 },
  },
  {
    label: '建群应答丢失 · chat created, answer lost (reconciled)',
    fault: { pathPrefix: '/open-apis/im/v1/chats', dropAfter: true, count: 1 },
  },
];

let info: Info;
let catalog: CatalogEntry[] = [];
let state: EmulatorState | undefined;
let me = '';
let current = P2P;
const calls = new CallsPanel();
const traffic = new TrafficPanel();
const objects = new ObjectsPanel();
const approvalInbox = new ApprovalInbox(() => poll());
const drawn = new Map<string, { key: string; el: HTMLElement }>();

const whoami = h('select', { id: 'whoami', 'aria-label': '我是 · I am' });
const language = h('select', {
  id: 'language',
  'aria-label': '飞书客户端语言 · Feishu client language',
  title: "此人的飞书客户端语言：卡片以这种语言显示 · This person's Feishu client language: cards show in it",
});
const chatList = h('ul', { class: 'chat-list', id: 'chats' });
const chatTitle = h('div', { class: 'chat-title', id: 'chat-title' });
const messages = h('div', { class: 'messages', id: 'messages' });
const groupHint = h(
  'div',
  { class: 'hint', id: 'group-hint', hidden: true },
  '群聊中机器人只收到 @它 的消息：发送时自动加上 @bot · In group chats the bot hears only messages that mention it: @bot is added for you',
);
const composer = new Composer({
  commands: () => catalog,
  language: () => myLanguage(),
  users: () => state?.users ?? [],
  tenantKey: () => state?.app.tenantKey,
  send: (text) => send(text),
  attach: (file) => attach(file),
});
const signIn = h('a', { id: 'sign-in', class: 'btn btn-default', target: '_blank', rel: 'noopener' }, '');
const signInNote = h('p', { class: 'hint' });
const hireName = h('input', {
  id: 'hire-name',
  'aria-label': "新员工姓名 · new hire's name",
  value: '孙悦',
  size: '6',
});
const hireEnName = h('input', {
  id: 'hire-en-name',
  'aria-label': '英文名 · English name',
  placeholder: '英文名 · English name',
  value: 'Sun Yue',
  size: '8',
});
/** The welcome mail and the team chat's description say it ("担任{job_title}"). */
const hireTitle = h('input', {
  id: 'hire-title',
  'aria-label': '职位 · job title',
  placeholder: '职位 · job title',
  value: 'SRE 工程师 SRE',
  size: '8',
});
const hireDept = h(
  'select',
  { id: 'hire-dept', 'aria-label': '部门 · department' },
  [
    ['ops', '运维 Ops'],
    ['eng', '研发 Eng'],
    ['hr', '人事 HR'],
  ].map(([v, label]) => h('option', { value: v! }, label!)),
);
/** The new hire's leader (mentor). */
const hireWho = h('select', { id: 'hire-who', 'aria-label': '导师 · leader' });
/** Who leaves: a searchable picker of one person who has not left yet, new hires included; redrawn by drawPeople. */
const leaver = h('div', { id: 'leaver' });
let leavePicker: PersonPicker | undefined;
const faultPick = h(
  'select',
  { id: 'fault-pick', 'aria-label': '故障 · fault' },
  FAULTS.map((f, i) => h('option', { value: String(i) }, f.label)),
);
const faultToggle = h('input', { type: 'checkbox', id: 'fault-toggle' });
const faultList = h('pre', { class: 'faults', id: 'faults' });

function layout(): void {
  const tabs = [
    { id: 'events', label: '事件与回调 · Events', body: traffic.root },
    { id: 'calls', label: 'Open API 调用 · Calls', body: calls.root },
    { id: 'objects', label: '模拟器对象 · Objects', body: objects.root },
    { id: 'approvals', label: '审批待办 · Approvals', body: approvalInbox.root },
  ];
  const tabBar = h('div', { class: 'tabs', role: 'tablist' });
  const bodies = h('div', { class: 'tab-bodies' });
  const select = (id: string) => {
    for (const b of tabBar.children) b.classList.toggle('active', (b as HTMLElement).dataset.tab === id);
    for (const t of tabs) t.body.hidden = t.id !== id;
  };
  for (const t of tabs) {
    tabBar.append(h('button', { class: 'tab', role: 'tab', 'data-tab': t.id, onclick: () => select(t.id) }, t.label));
    bodies.append(t.body);
  }
  select('events');

  // Compact, so that all of it shows without scrolling at 1280×720; the explanations fold away.
  const controls = h(
    'section',
    { class: 'controls' },
    h('h3', {}, '控制 · Controls'),
    h(
      'div',
      { class: 'control' },
      signIn,
      h('details', { class: 'hint' }, h('summary', {}, '说明 · About'), signInNote),
    ),
    h(
      'div',
      { class: 'control', id: 'hire-form' },
      h('div', { class: 'row' }, hireName, hireEnName),
      h('div', { class: 'row' }, hireTitle, hireDept),
      h('label', { class: 'row' }, '导师 · Leader', hireWho),
      h(
        'button',
        {
          class: 'btn btn-default',
          id: 'new-hire',
          onclick: () => void newHire(),
          title:
            '加入通讯录并推送 contact.user.created_v3，入职流程的进度卡片发到“入职管理”群 · Adds the user to the directory and pushes contact.user.created_v3; onboarding progress shows in the Onboarding admins chat',
        },
        '新员工入职 · Add new hire',
      ),
    ),
    h(
      'div',
      { class: 'control', id: 'leave-form' },
      leaver,
      h(
        'button',
        {
          class: 'btn btn-default',
          id: 'leaves',
          onclick: () => void leaves(),
          title:
            '标记为已离职并推送 contact.user.deleted_v3；被移除的对象在“模拟器对象”中划掉显示 · Marks the user resigned and pushes contact.user.deleted_v3; what gets removed shows struck through under Objects',
        },
        '此人离职 · This person leaves',
      ),
    ),
    h(
      'div',
      { class: 'control' },
      faultPick,
      h('label', { class: 'toggle' }, faultToggle, ' 注入故障 · Inject fault'),
      faultList,
    ),
  );
  faultToggle.addEventListener('change', () => void toggleFault());

  document.body.append(
    h(
      'div',
      { class: 'app' },
      h(
        'aside',
        { class: 'left' },
        h('h1', {}, '飞书运维机器人 · Sandbox'),
        h('label', { class: 'who' }, '我是 · I am ', h('span', { class: 'row' }, whoami, language)),
        controls,
        h('h3', {}, '会话 · Chats'),
        chatList,
      ),
      h('main', { class: 'chat' }, chatTitle, messages, groupHint, composer.root),
      h('aside', { class: 'right' }, tabBar, bodies),
    ),
    h('div', { id: 'toasts', class: 'toasts', 'aria-live': 'polite' }),
  );
  whoami.addEventListener('change', () => {
    me = whoami.value;
    signedInToFeishu(me);
    current = P2P;
    drawLanguage();
    drawChats();
    drawMessages(true);
    drawSignIn();
  });
  language.addEventListener('change', () => void pickLanguage(language.value));
}

/** The Feishu client language of the person picked in "I am": the language their cards show in. */
const myLanguage = () => state?.clientLanguages?.[me] ?? 'zh_cn';

let languageShown = '';

/** The picker shows my language; one the bot does not write (set through the control API) is listed too. */
function drawLanguage(): void {
  const mine = myLanguage();
  const codes = info.languages.includes(mine) ? info.languages : [...info.languages, mine];
  const key = `${codes.join()}|${mine}`;
  if (key === languageShown) return;
  languageShown = key;
  fill(
    language,
    // A language the bot does not write shows its code: zh_hk and zh_tw would both be 中文.
    codes.map((code) =>
      h('option', { value: code, selected: code === mine }, info.languages.includes(code) ? languageName(code) : code),
    ),
  );
  language.value = mine;
}

async function pickLanguage(code: string): Promise<void> {
  try {
    await api.setLanguage(me, code);
  } catch (err) {
    toast(`语言设置失败 · Language not set: ${(err as Error).message}`, 'error');
  }
  await poll();
}

const userName = (id: string) =>
  state?.users.find((u) => u.open_id === id)?.name ??
  (id === state?.app.botOpenId || id === state?.app.appId ? (state?.app.appName ?? 'bot') : id);

function myP2p(): Chat | undefined {
  return state?.chats.find((c) => c.chatMode === 'p2p' && c.members.includes(me));
}

/** My group chats; a dissolved one is gone from the list (the Objects panel still shows it). */
function myGroups(): Chat[] {
  return (state?.chats ?? []).filter(
    (c) => c.chatMode === 'group' && c.dissolvedAt === undefined && (c.members.includes(me) || c.ownerId === me),
  );
}

function currentChat(): Chat | undefined {
  return current === P2P ? myP2p() : state?.chats.find((c) => c.chatId === current);
}

function drawChats(): void {
  const entry = (id: string, label: string, sub: string) =>
    h(
      'li',
      {
        class: id === current ? 'active' : '',
        'data-chat': id,
        onclick: () => {
          current = id;
          drawChats();
          drawMessages(true);
        },
      },
      h('b', {}, label),
      h('small', {}, sub),
    );
  fill(
    chatList,
    entry(P2P, state?.app.appName ?? 'Bot', '单聊 · direct chat'),
    myGroups().map((c) => entry(c.chatId, c.name, `群聊 · group · ${c.members.length} 人`)),
  );
  const chat = currentChat();
  const group = chat?.chatMode === 'group';
  groupHint.hidden = !group;
  fill(
    chatTitle,
    group && chat
      ? [h('b', {}, chat.name), h('small', {}, ` ${chat.chatId} · ${chat.members.map(userName).join('、')}`)]
      : [h('b', {}, state?.app.appName ?? ''), h('small', {}, ` 与 ${userName(me)} 的单聊 · direct chat`)],
  );
}

/** A user message's text split around its @_user_N placeholders, each shown as the name it stands for. */
function textParts(m: Message): (string | { at: string })[] | undefined {
  let text: string;
  try {
    text = String((JSON.parse(m.content) as { text?: unknown }).text ?? '');
  } catch {
    return undefined;
  }
  const byKey = new Map((m.mentions ?? []).map((x) => [x.key, x.name]));
  return text.split(/(@_user_\d+)/).map((part) => {
    const name = byKey.get(part);
    return name ? { at: name } : part;
  });
}

function userText(m: Message): HTMLElement {
  const parts = textParts(m);
  if (!parts) return unsupported(m.content, 'the message content is not JSON');
  return h(
    'div',
    { class: 'text' },
    parts.map((p) => (typeof p === 'string' ? p : h('span', { class: 'at' }, `@${p.at}`))),
  );
}

/** A file message as the chat shows it: its name. */
function fileChip(m: Message): HTMLElement {
  try {
    const name = String((JSON.parse(m.content) as { file_name?: unknown }).file_name ?? '');
    return h('div', { class: 'text file' }, `📎 ${name}`);
  } catch {
    return unsupported(m.content, 'the message content is not JSON');
  }
}

/** "张伟: /group create 项目X @李娜", cut short, for the reply marker above a bot's answer. */
function quote(m: Message): string {
  const text = (textParts(m) ?? []).map((p) => (typeof p === 'string' ? p : `@${p.at}`)).join('');
  return `${userName(m.sender.id)}: ${text.length > 40 ? `${text.slice(0, 39)}…` : text}`;
}

function drawMessage(m: Message): HTMLElement {
  const mine = m.sender.type === 'user' && m.sender.id === me;
  const bot = m.sender.type === 'app';
  const body = m.deleted
    ? h('div', { class: 'text muted' }, '消息已撤回 · message recalled')
    : m.msgType === 'text'
      ? userText(m)
      : m.msgType === 'file'
        ? fileChip(m)
        : m.msgType === 'interactive'
          ? renderCard(m.card, {
              users: new Map(state?.users.map((u) => [u.open_id, u.name])),
              directory: state?.users ?? [],
              tenantKey: state?.app.tenantKey,
              chatMembers: (chatId) => {
                const chat = state?.chats.find((c) => c.chatId === chatId);
                return chat && [chat.ownerId, ...chat.members];
              },
              press: (p) => press(m, p),
              open,
              language: myLanguage(),
            })
          : unsupported(
              { msg_type: m.msgType, content: m.content },
              `the console shows text and card messages, not "${m.msgType}"`,
            );
  const parent = m.parentId ? state?.messages.find((x) => x.messageId === m.parentId) : undefined;
  return h(
    'div',
    { class: `msg ${mine ? 'mine' : ''} ${bot ? 'bot' : ''}`, 'data-message-id': m.messageId },
    h(
      'div',
      { class: 'meta' },
      h('b', {}, bot ? (state?.app.appName ?? 'bot') : userName(m.sender.id)),
      ` ${time(m.createdAt)}`,
      m.updated ? h('span', { class: 'badge' }, ` 已更新 updated ${time(m.updatedAt)}`) : null,
      parent && parent.msgType === 'text' ? h('span', { class: 'reply-to' }, ` ↩ 回复 reply ${quote(parent)}`) : null,
    ),
    body,
  );
}

/** Redraws the chat, reusing unchanged messages so an open dialog or a typed form field survives a poll. */
function drawMessages(jump = false): void {
  const chat = currentChat();
  const list = chat ? (state?.messages ?? []).filter((m) => m.chatId === chat.chatId) : [];
  const nearBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80;
  const before = messages.childElementCount;
  const nodes = list.map((m) => {
    const key = `${m.updatedAt}|${m.content.length}|${m.deleted}|${me}|${myLanguage()}`;
    const old = drawn.get(m.messageId);
    if (old?.key === key) return old.el;
    const el = drawMessage(m);
    old?.el.replaceWith(el);
    drawn.set(m.messageId, { key, el });
    return el;
  });
  if (nodes.length === 0) {
    fill(
      messages,
      h(
        'p',
        { class: 'empty' },
        chat?.chatMode === 'group' ? '还没有消息 · No messages yet' : '发送 /help 开始 · Send /help to start',
      ),
    );
  } else if (nodes.length !== before || nodes.some((n, i) => messages.children[i] !== n)) {
    fill(messages, nodes);
  }
  if (jump || (nearBottom && nodes.length !== before)) messages.scrollTop = messages.scrollHeight;
}

let peopleShown = '';

/**
 * The lists of people (I am, the new hire's leader, who leaves), redrawn when the directory changes (a new hire joins,
 * someone leaves), each person marked with what limits them; the choices made stay while they can still be made.
 */
function drawPeople(): void {
  const users = state?.users ?? [];
  const tenant = state?.app.tenantKey;
  const key = JSON.stringify(users.map((u) => [u.open_id, personLabel(u, tenant)]));
  if (key === peopleShown) return;
  peopleShown = key;
  const option = (u: User, selected: boolean) => h('option', { value: u.open_id, selected }, personLabel(u, tenant));
  fill(
    whoami,
    users.map((u) => option(u, u.open_id === me)),
  );
  const leader = hireWho.value;
  const employed = users.filter((u) => active(u, tenant) && !u.invisible);
  fill(
    hireWho,
    employed.map((u) => option(u, u.open_id === leader)),
  );
  // A new hire can leave; someone who has left is no longer offered, and their pick goes.
  leavePicker = new PersonPicker({
    people: employed,
    tenantKey: tenant,
    multi: false,
    placeholder: '离职：搜索姓名 · Who leaves',
    preset: leavePicker?.value ?? [],
  });
  fill(leaver, leavePicker.root);
}

function drawSignIn(): void {
  if (!state) return;
  const url = new URL(AUTHORIZE_PATH, info.emulatorUrl);
  url.search = new URLSearchParams({
    client_id: state.app.appId,
    redirect_uri: `${location.origin}/console/oauth/callback`,
    response_type: 'code',
    scope: 'offline_access',
    state: userName(me),
    emulator_user: me,
  }).toString();
  signIn.href = url.toString();
  signIn.textContent = `以 ${userName(me)} 登录 · Sign in (OAuth consent)`;
  signInNote.textContent = info.botHasLogin
    ? "这里只演示授权页，不会登录机器人；要让机器人以你的身份发信，发送 /login 或 /draft，再点卡片上的“登录飞书” · This only shows the consent page and does not sign the bot in: to let it mail as you, send /login or /draft and follow the card's Sign in button"
    : "机器人还没有 /login：这里打开模拟器的授权页，演示同意这一步 · The bot has no /login yet: this opens the emulator's authorize page to show the consent step";
}

/** While a toggle is on its way, a look taken before it landed must not flip the box back. */
let faultToggling = false;

function drawFaults(): void {
  const faults = state?.faults ?? [];
  if (!faultToggling) faultToggle.checked = faults.length > 0;
  faultList.textContent = faults.length ? faults.map((f) => JSON.stringify(f)).join('\n') : '无故障 · no faults';
}

async function send(text: string): Promise<void> {
  const chat = currentChat();
  const group = chat?.chatMode === 'group';
  const addressed = group && !/(^|\s)@bot(\s|$)/.test(text) ? `@bot ${text}` : text;
  try {
    await api.say(me, addressed, group ? chat?.chatId : undefined);
  } catch (err) {
    toast(`发送失败 · Not sent: ${(err as Error).message}`, 'error');
    throw err;
  }
  await poll();
  drawMessages(true);
}

/** Sends a file as the current user into the open chat; the bot hears it in a p2p chat (files carry no @bot). */
async function attach(file: File): Promise<void> {
  const chat = currentChat();
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    await api.sendFile(me, file.name, btoa(binary), chat?.chatMode === 'group' ? chat.chatId : undefined);
  } catch (err) {
    toast(`发送失败 · Not sent: ${(err as Error).message}`, 'error');
    throw err;
  }
  await poll();
  drawMessages(true);
}

async function press(m: Message, p: Press): Promise<void> {
  try {
    const r = await api.click({ messageId: m.messageId, by: me, ...p });
    const t = r.response?.toast;
    // An answer the client refused (r.error) shows no toast of its own, as in Feishu.
    if (t && !r.error) toast(toastText(t, myLanguage()), t.type);
    if (r.error) toast(`回调失败 · Callback failed: ${r.error}`, 'error');
  } catch (err) {
    toast(`点击失败 · Click failed: ${(err as Error).message}`, 'error');
  }
  await poll();
}

/**
 * Who is signed in to Feishu in this browser, for the emulator's consent page: a sign-in link on a card goes through
 * the bot's start page first, which keeps no query of ours, so the person rides in a cookie (per host, any port).
 */
function signedInToFeishu(openId: string): void {
  document.cookie = `emulator_user=${encodeURIComponent(openId)}; path=/; SameSite=Lax`;
}

/**
 * Opens a card's link in a new tab. Feishu's authorize page consents as whoever is signed in to Feishu in that
 * browser; the emulator's takes that person as emulator_user, so the console adds the one picked in "I am".
 */
function open(link: string): void {
  const url = new URL(link, location.href);
  const authorize = new URL(AUTHORIZE_PATH, info.emulatorUrl);
  if (
    url.origin === authorize.origin &&
    url.pathname === authorize.pathname &&
    !url.searchParams.has('emulator_user')
  ) {
    url.searchParams.set('emulator_user', me);
  }
  window.open(url.toString(), '_blank', 'noopener');
}

async function newHire(): Promise<void> {
  try {
    const name = hireName.value.trim();
    if (!name) return toast('请填写新员工姓名 · Give the new hire a name', 'error');
    const enName = hireEnName.value.trim();
    const jobTitle = hireTitle.value.trim();
    if (!jobTitle) return toast('请填写职位：欢迎邮件会写到它 · Give a job title: the welcome mail names it', 'error');
    await api.newHire({
      name,
      department: hireDept.value,
      leader: hireWho.value,
      jobTitle,
      ...(enName ? { enName } : {}),
    });
    await poll();
    toast(`已推送 contact.user.created_v3 · pushed for ${name}: see Events`, 'success');
  } catch (err) {
    toast((err as Error).message, 'error');
  }
}

async function leaves(): Promise<void> {
  const who = state?.users.find((u) => u.open_id === leavePicker?.value[0]);
  if (!who) return toast('请选择离职人员 · Pick who leaves', 'error');
  try {
    await api.leaves(who.open_id);
    toast(`已推送 contact.user.deleted_v3 · pushed for ${who.name}: see Events`, 'success');
  } catch (err) {
    toast((err as Error).message, 'error');
  }
}

async function toggleFault(): Promise<void> {
  faultToggling = true;
  try {
    if (faultToggle.checked) await api.addFault(FAULTS[Number(faultPick.value)]?.fault ?? {});
    else await api.clearFaults();
  } catch (err) {
    toast(`故障设置失败 · ${(err as Error).message}`, 'error');
  }
  // A look already under way began before the change: let it finish, then take a fresh one.
  await polling;
  faultToggling = false;
  await poll();
}

let polling: Promise<void> | undefined;

/** One look at the emulator: state, new calls, new pushes. Overlapping calls share one look. */
function poll(): Promise<void> {
  polling ??= (async () => {
    try {
      const [s, c, d] = await Promise.all([api.state(), api.calls(calls.last), api.deliveries(traffic.last)]);
      state = s;
      calls.add(c.calls);
      traffic.merge(d.events, d.callbacks);
      objects.show(s);
      drawPeople();
      drawLanguage();
      drawChats();
      drawMessages();
      drawFaults();
      await approvalInbox.refresh(me);
      document.body.classList.remove('offline');
    } catch (err) {
      document.body.classList.add('offline');
      console.warn('console poll failed', err);
    } finally {
      polling = undefined;
    }
  })();
  return polling;
}

async function start(): Promise<void> {
  [info, { commands: catalog }, state] = await Promise.all([api.info(), api.catalog(), api.state()]);
  me = state.users.find((u) => !u.resigned && !u.invisible)?.open_id ?? state.users[0]?.open_id ?? '';
  signedInToFeishu(me);
  layout();
  drawPeople();
  drawLanguage();
  drawSignIn();
  await poll();
  drawMessages(true);
  setInterval(() => void poll(), POLL_MS);
  composer.input.focus();
}

start().catch((err: unknown) => {
  document.body.append(
    h('p', { class: 'fatal' }, `控制台无法启动 · The console could not start: ${(err as Error).message}`),
  );
});
