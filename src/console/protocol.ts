/**
 * The console's own API (GET /console/api/…), shared by the server that answers it and the browser that reads it.
 * Everything else the console shows comes from the emulator's control API, proxied under /_emulator/.
 */
// zod/mini: the browser bundles this file too.
import { z } from 'zod/mini';

/** A text in each of the bot's languages (src/i18n.ts `Text`). */
const text = z.object({ zh_cn: z.string(), en_us: z.string(), ja_jp: z.string() });

/** One registered command, as /help knows it: for command completion in the composer. */
export const catalogEntrySchema = z.object({
  /** "group create" */
  command: z.string(),
  usage: z.string(),
  summary: text,
  examples: z.array(z.string()),
  args: z.array(text),
});

export const catalogSchema = z.object({ commands: z.array(catalogEntrySchema) });
export type Catalog = z.infer<typeof catalogSchema>;
export type CatalogEntry = z.infer<typeof catalogEntrySchema>;

export const infoSchema = z.object({
  /** The emulator's own URL, for links the browser follows there (the OAuth authorize page). */
  emulatorUrl: z.string(),
  /** Whether the bot has a sign-in command; until it has, the console only links the authorize page. */
  botHasLogin: z.boolean(),
  /** The languages the bot writes (Feishu codes): what the console offers as a user's client language. */
  languages: z.array(z.string()),
});
export type Info = z.infer<typeof infoSchema>;
