import {
  field,
  compose,
  Elements,
  envelope,
  escapeMd,
  greyMd,
  joinTexts,
  listBlock,
  md,
  t,
  type Card,
  type Text,
} from './kit.js';

export interface WhoamiCardInput {
  /** Absent when the directory does not say (the ids stand for the person then). */
  name?: string;
  /** open_id, user_id, union_id in that order; a value the directory did not give is absent. */
  ids: { label: string; value?: string }[];
  /** Why some ids are missing (outside the app's contact scope, a field scope not granted). */
  idsNote?: Text;
  admin: boolean;
  roles: string[];
  /** Commands this person may run, as typed ("/group create"). */
  allowed: string[];
  /** Commands they may not, with who may. */
  refused: { command: string; allow: Text }[];
  signIn: { signedIn: true; mailbox?: string; until: string } | { signedIn: false } | undefined;
}

/** An id or a role as inline code (easy to copy) when it is a plain token; anything else as escaped text. */
const id = (value: string): string => (/^[A-Za-z0-9_-]+$/.test(value) ? `\`${value}\`` : escapeMd(value));

function signInState(s: NonNullable<WhoamiCardInput['signIn']>): Text {
  if (!s.signedIn) return t('whoami.notSignedIn');
  return s.mailbox
    ? t('whoami.signedInAs', { mailbox: s.mailbox, until: s.until })
    : t('whoami.signedIn', { until: s.until });
}

/** /whoami: who the bot sees, what app.config.json lets them run, and whether the bot may act as them. */
export function whoamiCard(o: WhoamiCardInput): Card {
  const els = new Elements();
  els.markdown(
    joinTexts(
      [
        ...(o.name ? [field(t('whoami.name'), escapeMd(o.name))] : []),
        ...o.ids.map((i) => field(i.label, i.value ? id(i.value) : greyMd(t('whoami.notVisible')))),
        ...(o.idsNote ? [greyMd(o.idsNote)] : []),
      ],
      '\n',
    ),
  );
  els.markdown(
    joinTexts(
      [
        field(t('whoami.admin'), md(t(o.admin ? 'whoami.yes' : 'whoami.no'))),
        ...(o.roles.length ? [field(t('whoami.roles'), o.roles.map(id).join(' '))] : []),
      ],
      '\n',
    ),
  );
  const allowed = o.allowed.map((c) => `- ${escapeMd(c)}`);
  els.markdown(listBlock(t('whoami.mayRun'), allowed, allowed.length));
  if (o.refused.length) {
    const refused = o.refused.map((r) => {
      const line = md(t('whoami.refused', { command: r.command, who: r.allow }));
      return compose((say) => `- ${say(line)}`);
    });
    els.markdown(listBlock(t('whoami.mayNotRun'), refused, refused.length));
  }
  if (o.signIn) els.markdown(field(t('whoami.signIn'), md(signInState(o.signIn))));
  els.markdown(greyMd(t('whoami.configNote')));
  return envelope(t('whoami.title'), 'blue', els);
}
