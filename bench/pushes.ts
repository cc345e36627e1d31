/** The pushes the ack and scale-out benchmarks send: unique events, encrypted and signed exactly as Feishu does. */
import { buildPush, type WirePush } from '../src/emulator/push.js';
import { ENCRYPT_KEY, VERIFICATION_TOKEN } from './ack-server.js';

let seq = 0;

/** A unique im.message.receive_v1 push ("/help" in a p2p chat), compact JSON as the emulator pushes it. */
export function benchPush(now = Date.now()): WirePush {
  const id = `${process.pid}_${++seq}`;
  return buildPush(
    {
      schema: '2.0',
      header: {
        event_id: `ev_${id}`,
        token: VERIFICATION_TOKEN,
        create_time: String(now),
        event_type: 'im.message.receive_v1',
        tenant_key: 'bench_tenant',
        app_id: 'cli_a1b2c3d4e5f6a7b8',
      },
      event: {
        sender: { sender_id: { open_id: 'ou_bench' }, sender_type: 'user', tenant_key: 'bench_tenant' },
        message: {
          message_id: `om_${id}`,
          create_time: String(now),
          chat_id: 'oc_bench',
          chat_type: 'p2p',
          message_type: 'text',
          content: JSON.stringify({ text: '/help' }),
        },
      },
    },
    { encryptKey: ENCRYPT_KEY },
    now,
  );
}
