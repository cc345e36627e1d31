/**
 * The official SDK, loaded on first use instead of at import. It is one 6 MB CommonJS bundle that nothing on the ack
 * path needs, so the bot listens first and loads it just after (or when the first Open API call comes sooner).
 * `require`, not `import()`: the ESM loader would first scan the whole bundle for its export names, which takes about
 * as long again as loading it and leaves some 25 MB more resident.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { createRequire } from 'node:module';
import type { Logger } from '../log.js';

const require = createRequire(import.meta.url);
let sdk: typeof lark | undefined;

export const larkSdk = (): typeof lark => (sdk ??= require('@larksuiteoapi/node-sdk') as typeof lark);

/**
 * A logger for the SDK that passes on its strings only: it logs whole objects at times (AxiosErrors with the
 * Authorization header), which must not reach our logs.
 */
export function sdkLogger(
  log: Logger,
): Record<'error' | 'warn' | 'info' | 'debug' | 'trace', (...msg: unknown[]) => void> {
  const strings =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) => {
      const text = msg
        .flat()
        .filter((m): m is string => typeof m === 'string')
        .join(' ');
      if (text) log[level](text);
    };
  return {
    error: strings('error'),
    warn: strings('warn'),
    info: strings('info'),
    debug: strings('debug'),
    trace: strings('debug'),
  };
}
