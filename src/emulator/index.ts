/**
 * Starts the Feishu emulator in-process: `const emu = await startEmulator(); … await emu.close();`.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type express from 'express';
import { EmulatorClock } from './clock.js';
import { approvalRoutes } from './approval.js';
import { authRoutes } from './auth.js';
import { chatRoutes } from './chats.js';
import { chatAdminRoutes } from './chats-admin.js';
import { contactRoutes } from './contact.js';
import { controlRoutes } from './control.js';
import { deliveryFor, deliveryModule, type EventDelivery } from './delivery.js';
import { fileRoutes } from './files.js';
import { mailRoutes } from './mail.js';
import { messageRoutes } from './messages.js';
import { Kit } from './kit.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from './seed.js';
import { createEmulatorApp, type RouteModule } from './server.js';
import { EmulatorState } from './state.js';

export { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from './seed.js';
export const DEFAULT_HOST = '127.0.0.1';
export { EmulatorState } from './state.js';
export { Kit } from './kit.js';
export { DEMO_APPROVAL_CODE, DEMO_APPROVER_NODE } from './approval.js';

/** The Open API modules every emulator serves, in mount order. */
export const DEFAULT_MODULES: readonly RouteModule[] = [
  controlRoutes,
  authRoutes,
  chatRoutes,
  chatAdminRoutes,
  messageRoutes,
  fileRoutes,
  contactRoutes,
  mailRoutes,
  approvalRoutes,
  deliveryModule,
];

export interface EmulatorOptions {
  port?: number;
  host?: string;
  timeScale?: number;
  appId?: string;
  appSecret?: string;
  /** Seed the demo sandbox's standing chats and mail group (seed.ts STANDING). */
  standing?: boolean;
  /** Route modules to serve instead of DEFAULT_MODULES (a module under test can be mounted alone). */
  modules?: readonly RouteModule[];
}

export interface Emulator {
  url: string;
  port: number;
  state: EmulatorState;
  /** Pushes events and card callbacks to the bot configured with POST /_emulator/bot. */
  delivery: EventDelivery;
  kit: Kit;
  app: express.Express;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const appId = opts.appId ?? DEFAULT_APP_ID;
  if (!/^cli_[0-9a-fA-F]{16}$/.test(appId)) {
    throw new Error(`appId "${appId}" must look like cli_ followed by 16 hex digits (the SDK's WSClient checks it)`);
  }
  const state = new EmulatorState({
    appId,
    appSecret: opts.appSecret ?? DEFAULT_APP_SECRET,
    clock: new EmulatorClock(opts.timeScale ?? 1),
    standing: opts.standing,
  });
  const kit = new Kit(state);
  const app = createEmulatorApp(kit, opts.modules ?? DEFAULT_MODULES);
  const host = opts.host ?? DEFAULT_HOST;
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  deliveryFor(state).longConnections.attach(server);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    state,
    delivery: deliveryFor(state),
    kit,
    app,
    close: () =>
      new Promise<void>((resolve, reject) => {
        deliveryFor(state).shutdown();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
