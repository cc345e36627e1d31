/**
 * Start-up: config → (sandbox emulator when there are no credentials) → bot → HTTP.
 * An invalid configuration exits with code 2 and every problem by its path, without a stack trace.
 * The sandbox (and with it the emulator) is imported only when it runs, so production never loads it.
 */
import { resolve } from 'node:path';
import { parseEncryptionKey } from './auth/vault.js';
import { createBot } from './bot.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { setDefaultLocale } from './i18n.js';
import { createLogger, type Logger } from './log.js';
import { shutdownOnSignals } from './server.js';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`feishu-ops-bot: ${e.message}\n`);
    process.exit(2);
  }
}

async function runSandbox(config: Config, logger: Logger): Promise<void> {
  const { sandboxBanner, startSandbox } = await import('./sandbox.js');
  const sb = await startSandbox(config, {
    dataDir: resolve(config.env.DATA_DIR, 'sandbox'),
    botPort: config.env.PORT,
    emulatorPort: config.env.EMULATOR_PORT,
    host: config.env.HOST,
    logger,
    console: true,
    demo: true,
  });
  process.stdout.write(sandboxBanner(sb));
  shutdownOnSignals({ shutdown: () => sb.close() }, logger);
}

async function runBot(config: Config, logger: Logger): Promise<void> {
  const { FEISHU_APP_ID: appId, FEISHU_APP_SECRET: appSecret, FEISHU_DOMAIN: domain } = config.env;
  if (!appId || !appSecret)
    throw new Error('unreachable: config validation requires both credentials outside the sandbox');
  const bot = await createBot({
    config,
    appId,
    appSecret,
    domain,
    dataDir: config.env.DATA_DIR,
    logger,
    tokenKey: parseEncryptionKey(config.env.TOKEN_ENCRYPTION_KEY),
    publicUrl: config.env.PUBLIC_URL,
  });
  const url = await bot.listen(config.env.PORT, config.env.HOST ?? '0.0.0.0');
  if (!config.env.METRICS_TOKEN && config.env.METRICS_PORT === undefined) {
    logger.warn('/metrics answers anyone who can reach the webhook port: set METRICS_TOKEN, METRICS_PORT or both');
  }
  // PUBLIC_URL is required with credentials: every URL printed is one to paste into the developer console as is.
  const publicUrl = config.env.PUBLIC_URL ?? url;
  const wiring =
    config.env.FEISHU_TRANSPORT === 'websocket'
      ? `Connected over Feishu's long connection: in the developer console (事件与回调 / Events & Callbacks) choose
  使用长连接接收事件 / Receive events through persistent connection, and 使用长连接接收回调 / Receive callbacks
  through persistent connection. No request URL is needed.`
      : `Paste into the Feishu developer console, 事件与回调 / Events & Callbacks (docs/deploy.md):
  事件配置 → 请求地址 / Event configuration → Request URL      ${publicUrl}/webhook/event
  回调配置 → 请求地址 / Callback configuration → Request URL   ${publicUrl}/webhook/card`;
  process.stdout.write(`
feishu-ops-bot is running for app ${appId} against ${domain}.
${wiring}
  安全设置 → 重定向 URL / Security settings → Redirect URLs       ${publicUrl}/oauth/callback
Health: ${url}/healthz   Metrics: ${bot.server.metricsUrl() ?? `${url}/metrics`}${config.env.METRICS_TOKEN ? ' (bearer token)' : ''}
`);
  shutdownOnSignals({ shutdown: () => bot.stop() }, logger);
}

const config = configOrExit();
const logger = createLogger(config.env.LOG_LEVEL);
setDefaultLocale(config.app.i18n.defaultLocale);
(config.sandbox ? runSandbox(config, logger) : runBot(config, logger)).catch((err: unknown) => {
  // Problems only the assembled bot can see (unknown command names, a bad DATA_DIR) are configuration too.
  if (err instanceof ConfigError) {
    process.stderr.write(`feishu-ops-bot: ${err.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err }, 'start-up failed');
  process.exit(1);
});
