/** The pure parts of /draft and /mail send: the body keeps its lines, and a resumed command means the same mail. */
import { describe, expect, it } from 'vitest';
import { draftSpec } from '../handlers/draft.js';
import { bodyText, resolveRecipients } from '../handlers/mail-compose.js';
import { parseCommand } from '../src/commands/parse.js';
import { bindArgs } from '../src/commands/spec.js';
import type { DirectoryPort } from '../src/feishu/ports.js';

const noDirectory: DirectoryPort = {
  getUser: async () => {
    throw new Error('not expected');
  },
  openIdsByEmail: async () => {
    throw new Error('not expected');
  },
};

function args(text: string) {
  const parsed = parseCommand(text, { bodyLines: (name) => name === 'draft' });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const bound = bindArgs(draftSpec, parsed.command);
  if (!bound.ok) throw new Error(JSON.stringify(bound.problems));
  return bound.args;
}

describe('/draft arguments', () => {
  it("keeps the body's line breaks and Markdown after the options on the first line", () => {
    const text = '/draft to=a@example.com subject=Hi 你好，\n\n- 第一 “引号”\n  **粗体**';
    expect(bodyText(text, args(text).body ?? [])).toBe('你好，\n\n- 第一 “引号”\n  **粗体**');
    expect(bodyText('/draft to=a@example.com subject=Hi one  line', ['one', 'line'])).toBe('one line');
  });

  it('reads only the first line for options: a body line like cc=… or with a lone quote stays body text', () => {
    const text = "/draft to=a@example.com subject=报价 请查收：\ncc=finance 不是抄送\nprice=100, it's 'final\n--urgent";
    const a = args(text);
    expect(a.cc).toBeUndefined();
    expect(a.to).toBe('a@example.com');
    expect(bodyText(text, a.body ?? [])).toBe("请查收：\ncc=finance 不是抄送\nprice=100, it's 'final\n--urgent");
    // A body that starts on the second line.
    const below = '/draft to=a@example.com subject=Hi\nsubject=not the subject';
    expect(args(below).subject).toBe('Hi');
    expect(bodyText(below, args(below).body ?? [])).toBe('subject=not the subject');
  });

  it('reads named addresses and several entries separated by commas', async () => {
    const r = await resolveRecipients(
      noDirectory,
      args('/draft to="李娜 <lina@example.com>, b@example.com" subject=x y'),
    );
    expect(r).toEqual({
      ok: true,
      recipients: {
        to: [{ address: 'lina@example.com', name: '李娜' }, { address: 'b@example.com' }],
        cc: [],
        bcc: [],
      },
    });
  });
});
