/**
 * The emulator's express app: JSON bodies (the SDK sends `{}` even on GET), every route module built on the
 * kit, the control API, and Feishu-shaped answers for unknown paths and unparsable bodies.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { controlGuard } from './control.js';
import { ApiError, type Kit } from './kit.js';

/** A route module: `mailRoutes(kit)`, `imRoutes(kit)`, … */
export type RouteModule = (kit: Kit) => express.Router;

const BODY_LIMIT = '64mb';

export function createEmulatorApp(kit: Kit, modules: readonly RouteModule[]): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.use('/_emulator', controlGuard);
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  for (const m of modules) app.use(m(kit));
  app.use('/open-apis', (req, res) => {
    kit.sendError(res, kit.error(99991201, { detail: `no endpoint ${req.method} ${req.originalUrl}` }));
  });
  app.use('/_emulator', (req, res) => {
    res.status(404).json({
      error: `no control endpoint ${req.method} ${req.originalUrl}: see /_emulator/{calls,state,reset,faults,time,limits,card-token,client-language,bot,deliveries,events/…,mail/limits}`,
    });
  });
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof ApiError) return kit.sendError(res, err);
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed' || type === 'entity.too.large') {
      const detail =
        type === 'entity.too.large'
          ? `request body is over the emulator's ${BODY_LIMIT} limit`
          : 'request body is not valid JSON';
      return kit.sendError(res, kit.error(99992402, { detail }));
    }
    return next(err);
  });
  return app;
}
