/**
 * `npm run emulator -- --port 9000 [--host 127.0.0.1] [--time-scale 60] [--standing]`: runs the emulator standalone
 * and prints what a bot needs to talk to it. `--standing` seeds the chats and mail group the shipped app.config.json's
 * onboarding workflow names, as the `npm start` sandbox does.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_HOST, startEmulator } from './index.js';
import { openIdFor, STANDING } from './seed.js';

const argsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535, 'port must be 0–65535').default(9000),
  host: z.string().min(1).default(DEFAULT_HOST),
  'time-scale': z.coerce.number().positive('time scale must be a positive number').default(1),
  standing: z.boolean().default(false),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'time-scale': { type: 'string' },
      standing: { type: 'boolean' },
    },
    strict: true,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    console.error(`emulator: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exit(2);
  }
  const { port, host, standing } = parsed.data;
  const emu = await startEmulator({ port, host, timeScale: parsed.data['time-scale'], standing });
  const { app } = emu.state;
  const lines = [
    `Feishu emulator listening on ${emu.url} (time scale ${emu.state.clock.scale})`,
    '',
    `  FEISHU_DOMAIN=${emu.url}`,
    `  FEISHU_APP_ID=${app.appId}`,
    `  FEISHU_APP_SECRET=${app.appSecret}   (sandbox credential of the emulator, not a real secret)`,
    `  bot: ${app.appName} open_id=${app.botOpenId}  mail domain: ${app.mailDomain}`,
    '',
    '  users (log in with GET /open-apis/authen/v1/authorize?...&emulator_user=<open_id or email>):',
    ...emu.state.users.map((u) => {
      const flags = [
        u.resigned && 'resigned',
        u.invisible && 'outside app scope',
        u.tenant_key !== app.tenantKey && 'other tenant',
      ].filter(Boolean);
      return `    ${u.name} ${u.en_name.padEnd(12)} ${u.open_id}  ${u.enterprise_email}${flags.length ? `  [${flags.join(', ')}]` : ''}`;
    }),
    '',
    ...standingLines(standing, (key) => emu.state.userByOpenId(openIdFor(key))?.name ?? key),
    `  control API: ${emu.url}/_emulator/{calls,state,reset,faults,time,limits}`,
  ];
  console.log(lines.join('\n'));
  const stop = (signal: string) => {
    console.log(`\n${signal}: stopping the emulator`);
    emu.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** What the shipped onboarding workflow needs: the standing objects, or how to get them. */
function standingLines(standing: boolean, name: (key: string) => string): string[] {
  if (!standing)
    return [
      "  no standing chats or mail group: the shipped app.config.json's onboarding workflow names them; add --standing",
      '',
    ];
  const { allHands, admins, allStaff } = STANDING;
  const chat = (c: typeof allHands | typeof admins) =>
    `    chat ${c.chatId}  ${c.name} (owner ${name(c.owner)}, ${c.members.length + 1} people and the bot)`;
  return [
    '  standing objects (the shipped onboarding workflow names them; POST /_emulator/reset seeds them again):',
    chat(allHands),
    chat(admins),
    `    mail group ${allStaff.email}  ${allStaff.name}`,
    '',
  ];
}

main().catch((err: unknown) => {
  console.error(`emulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
