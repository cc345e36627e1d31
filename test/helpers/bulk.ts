/** The /bulk contacts scenario of issue 24: 200 rows pasted, 3 invalid, 5 already in the mailbox. */
import type { Emulator } from '../../src/emulator/index.js';
import { sdkClient } from '../../src/emulator/testing.js';
import { callsTo, mailState } from './provisioning.js';

export const MAILBOX = 'zhangwei@feishu-ops.example';
export const CONTACTS_PATH = `/open-apis/mail/v1/user_mailboxes/${MAILBOX}/mail_contacts`;
/** Rows (1-based data rows) whose contact the mailbox holds before the batch. */
export const EXISTING = [7, 40, 99, 150, 200];
/** Data rows that the contact command refuses, and why. */
export const INVALID: Record<number, string> = { 3: 'not-an-address', 77: '', 123: 'phone' };

const email = (i: number) => `partner${i}@partner.example`;

/** Chinese headers, as a sheet would have them; an invalid email, an empty name and a bad phone. */
export function contactsTable(): string {
  const lines = ['姓名,邮箱,电话,公司'];
  for (let i = 1; i <= 200; i++) {
    const name = INVALID[i] === '' ? '' : `伙伴${i}`;
    const address = INVALID[i] === 'not-an-address' ? 'partner-at-example' : email(i);
    const phone = INVALID[i] === 'phone' ? 'call me' : `+86 138${String(i).padStart(8, '0')}`;
    lines.push(`${name},${address},${phone},"伙伴公司, 第 ${i % 7} 组"`);
  }
  return lines.join('\n');
}

/** The existing contacts, made through the SDK as anyone else would; then a quiet emulated minute. */
export async function seedExisting(emulator: Emulator): Promise<void> {
  const client = sdkClient(emulator);
  for (const i of EXISTING)
    await client.mail.v1.userMailboxMailContact.create({
      path: { user_mailbox_id: MAILBOX },
      data: { name: `已有${i}`, mail_address: email(i) },
    });
}

export const contactsIn = (emulator: Emulator) => mailState(emulator).contacts[MAILBOX] ?? [];

/** Answers of the emulator's mail_contacts create endpoint, in order: [emulated time, HTTP status]. */
export const createCalls = (emulator: Emulator) =>
  callsTo(emulator, CONTACTS_PATH).map((c) => [c.at, c.status] as const);
