/**
 * Shared pieces of the mail emulator tests: the seeded mail domain and addresses, user tokens from the
 * emulator's OAuth flow, and EML builders. The emulator itself comes from useEmulator (helpers/emulator.ts).
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Emulator } from '../src/emulator/index.js';
import { loginUser } from '../src/emulator/testing.js';

export const DOMAIN = 'feishu-ops.example';
export const ZHANGWEI = `zhangwei@${DOMAIN}`;
export const LINA = `lina@${DOMAIN}`;

/** The access token of a seeded user (open_id or email), through the authorize page and the token endpoint. */
export async function userToken(emu: Emulator, who: string): Promise<string> {
  return (await loginUser(emu, who)).access_token;
}

export async function eml(options: SendMailOptions): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return (await transport.sendMail(options)).message as Buffer;
}

/** A base64url EML from `from` to `to`, with the given extra options. */
export async function rawMail(from: string, to: string | string[], extra: SendMailOptions = {}): Promise<string> {
  return (
    await eml({ from, to, subject: '周报 Weekly report', text: '本周无事故 No incidents this week.', ...extra })
  ).toString('base64url');
}
