import { Elements, envelope, escapeMd, grey, inline, listBlock, type Bilingual, type Card } from './kit.js';

export interface WhoamiCardInput {
  /** Absent when the directory does not say (the ids stand for the person then). */
  name?: string;
  /** open_id, user_id, union_id in that order; a value the directory did not give is absent. */
  ids: { label: string; value?: string }[];
  /** Why some ids are missing (outside the app's contact scope, a field scope not granted). */
  idsNote?: Bilingual;
  admin: boolean;
  roles: string[];
  /** Commands this person may run, as typed ("/group create"). */
  allowed: string[];
  /** Commands they may not, with who may. */
  refused: { command: string; allow: Bilingual }[];
  signIn: { signedIn: true; mailbox?: string; until: string } | { signedIn: false } | undefined;
}

/** An id as inline code (easy to copy) when it is a plain token; anything else as escaped text. */
const id = (value: string): string => (/^[A-Za-z0-9_-]+$/.test(value) ? `\`${value}\`` : escapeMd(value));
const field = (label: Bilingual | string, value: string): string =>
  `**${escapeMd(typeof label === 'string' ? label : inline(label))}**：${value}`;

/** /whoami: who the bot sees, what app.config.json lets them run, and whether the bot may act as them. */
export function whoamiCard(o: WhoamiCardInput): Card {
  const els = new Elements();
  els.markdown(
    [
      ...(o.name ? [field({ zh: '姓名', en: 'Name' }, escapeMd(o.name))] : []),
      ...o.ids.map((i) => field(i.label, i.value ? id(i.value) : grey('不可见 · not visible'))),
      ...(o.idsNote ? [grey(escapeMd(inline(o.idsNote)))] : []),
    ].join('\n'),
  );
  els.markdown(
    [
      field({ zh: '管理员', en: 'Admin' }, o.admin ? '是 · yes' : '否 · no'),
      ...(o.roles.length ? [field({ zh: '角色', en: 'Roles' }, o.roles.map(escapeMd).join('、'))] : []),
    ].join('\n'),
  );
  const allowed = o.allowed.map((c) => `- ${escapeMd(c)}`);
  els.markdown(listBlock({ zh: '你可以运行', en: 'You may run' }, allowed, allowed.length));
  if (o.refused.length) {
    const refused = o.refused.map((r) => `- ${escapeMd(r.command)}：${escapeMd(inline(r.allow))}`);
    els.markdown(listBlock({ zh: '你不能运行（只有…可以）', en: 'Not for you (only …)' }, refused, refused.length));
  }
  if (o.signIn) {
    els.markdown(
      o.signIn.signedIn
        ? field(
            { zh: '登录', en: 'Sign-in' },
            escapeMd(
              `已登录 · signed in${o.signIn.mailbox ? ` (${o.signIn.mailbox})` : ''}, 有效期至 · until ${o.signIn.until}`,
            ),
          )
        : field({ zh: '登录', en: 'Sign-in' }, escapeMd('未登录：发送 /login · not signed in: send /login')),
    );
  }
  els.markdown(
    grey(
      escapeMd(
        'app.config.json 的 admins、roles 和 commands.<命令>.allow 填 open_id · admins, roles and commands.<command>.allow in app.config.json take the open_id',
      ),
    ),
  );
  return envelope({ zh: '你的身份', en: 'Who you are' }, 'blue', els);
}
