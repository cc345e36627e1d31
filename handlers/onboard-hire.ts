/**
 * The hire as the directory describes them, resolved once when a run starts and kept on it, and the workflow's
 * templates filled with their fields, escaped for where they go.
 */
import { z } from 'zod';
import type { AppConfig } from '../src/config.js';
import type { DirectoryPort } from '../src/feishu/ports.js';

/** The hire's directory fields, resolved once when the run starts and kept on it. */
export const hireSchema = z.object({
  openId: z.string(),
  name: z.string(),
  en_name: z.string(),
  email: z.string(),
  department: z.string(),
  departmentIds: z.array(z.string()),
  leader: z.string(),
  leaderOpenId: z.string().optional(),
  job_title: z.string(),
});
export type Hire = z.infer<typeof hireSchema>;

export async function resolveHire(directory: DirectoryPort, app: AppConfig, openId: string): Promise<Hire> {
  const u = await directory.getUser(openId);
  const leader = u.leaderUserId ? await directory.getUser(u.leaderUserId, 'user_id').catch(() => undefined) : undefined;
  const departmentIds = u.departmentIds ?? [];
  return {
    openId: u.openId,
    name: u.name,
    en_name: u.enName ?? u.name,
    email: u.enterpriseEmail ?? u.email ?? '',
    department: departmentIds.map((id) => app.onboarding.departments[id] ?? id).join('、'),
    departmentIds,
    leader: leader?.name ?? '',
    ...(leader ? { leaderOpenId: leader.openId } : {}),
    job_title: u.jobTitle ?? '',
  };
}

/**
 * The template with each {field} replaced by the hire's value, made literal by `literal` for the text it goes into
 * (a directory name such as `[Reset](https://…)` must not become a link); the template's own markup stays markup.
 * Plain text (a chat name, a subject, a card title) takes the value as it is.
 */
export const fill = (template: string, hire: Hire, literal: (value: string) => string = (v) => v): string =>
  template.replace(/\{([a-z_]+)\}/g, (_, f: string) => literal(String((hire as Record<string, unknown>)[f] ?? '')));

/**
 * A value made literal in a mail body's Markdown, as composeMail renders it (markdown-it, HTML off, linkify on): one
 * line, with every character that could start markup, an entity or an auto-linked address or URL backslash-escaped.
 */
export const mailMarkdownLiteral = (value: string): string =>
  value
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_~[\]()<>#!&|:@.+=-]/g, '\\$&');
