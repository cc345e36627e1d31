/**
 * Structured logs (pino). Secrets never reach a log line: known secret-bearing keys are redacted
 * wherever they appear, and the SDK gets its own logger so it cannot print request headers.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const SECRET_PATHS = [
  'app_secret',
  'appSecret',
  'encryptKey',
  'encrypt_key',
  'verificationToken',
  'verification_token',
  'access_token',
  'refresh_token',
  'tenant_access_token',
  'authorization',
  'Authorization',
  'token',
  'client_secret',
].flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`, `config.headers.${k}`]);

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'feishu-ops-bot' },
    redact: { paths: SECRET_PATHS, censor: '[redacted]' },
  });
}

/** A logger that prints nothing: for tests and benchmarks that assert on behaviour, not output. */
export const silentLogger: Logger = pino({ level: 'silent' });
