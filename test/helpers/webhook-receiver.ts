import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  /** The event id (also in the `Duo-Sync-Event-Id` header). */
  id: string;
  type: string;
  tenantId: string;
  at: string;
  details: Record<string, unknown>;
  /** When the request arrived (ms). */
  receivedAtMs: number;
  /** Which secret the signature verified with. */
  signedWith: string;
}

/** How the receiver answers: 204, 500, or never (the request hangs until the sender gives up). */
export type ReceiverMode = 'ok' | 'fail' | 'hang';

/** The service-wide signing secret the test receivers expect (NOTIFY_WEBHOOK_SECRET). */
export const TEST_WEBHOOK_SECRET = 'test-webhook-signing-secret-0123456789';

/** Replays older than this are refused, as docs/API.md tells receivers to. */
const TOLERANCE_SEC = 5 * 60;

export interface WebhookReceiver {
  url: string;
  /** NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET pointing here. */
  env: { NOTIFY_WEBHOOK_URL: string; NOTIFY_WEBHOOK_SECRET: string };
  /** Every correctly signed request received so far, whatever it was answered. */
  received: ReceivedWebhook[];
  /** Requests refused for a missing, stale or wrong signature (each a reason); close() fails when any came. */
  refused: string[];
  /** Secrets a signature may verify with besides TEST_WEBHOOK_SECRET (tenants' own). */
  secrets: string[];
  mode: ReceiverMode;
  close(): Promise<void>;
}

/**
 * Verifies `Duo-Sync-Signature: t=<unix>,v1=<hex>` the way docs/API.md tells receivers to: HMAC-SHA256
 * of "<t>.<raw body>", compared in constant time, and `t` within 5 minutes of now. Returns the
 * secret that verified it, or the reason it did not.
 */
export function verifySignature(headers: IncomingHttpHeaders, body: string, secrets: string[], nowSec = Math.floor(Date.now() / 1000)): { secret: string } | { reason: string } {
  const header = headers['duo-sync-signature'];
  if (typeof header !== 'string') return { reason: 'no Duo-Sync-Signature header' };
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return { reason: `malformed signature header ${header}` };
  if (Math.abs(nowSec - t) > TOLERANCE_SEC) return { reason: `timestamp ${t} is more than 5 minutes from now` };
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
    if (timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { secret };
  }
  return { reason: 'signature does not match' };
}

/** A local webhook receiver, verifying every signature, whose behaviour a test switches at any moment. */
export async function startWebhookReceiver(mode: ReceiverMode = 'ok'): Promise<WebhookReceiver> {
  const hanging: ServerResponse[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    env: { NOTIFY_WEBHOOK_URL: '', NOTIFY_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET },
    received: [],
    refused: [],
    secrets: [],
    mode,
    close: async () => {},
  };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    request.on('end', () => {
      const verdict = verifySignature(request.headers, body, [TEST_WEBHOOK_SECRET, ...receiver.secrets]);
      if ('reason' in verdict) {
        receiver.refused.push(verdict.reason);
        response.writeHead(400).end();
        return;
      }
      const event = JSON.parse(body) as Omit<ReceivedWebhook, 'receivedAtMs' | 'signedWith'>;
      if (request.headers['duo-sync-event-id'] !== event.id) receiver.refused.push(`event id header ${String(request.headers['duo-sync-event-id'])} differs from the body's ${event.id}`);
      receiver.received.push({ ...event, receivedAtMs: Date.now(), signedWith: verdict.secret });
      if (receiver.mode === 'ok') response.writeHead(204).end();
      else if (receiver.mode === 'fail') response.writeHead(500).end();
      else hanging.push(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.env.NOTIFY_WEBHOOK_URL = receiver.url;
  receiver.close = async () => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    // Every delivery must verify: a bad signature fails the test file that received it.
    if (receiver.refused.length > 0) throw new Error(`webhook receiver refused ${receiver.refused.length} deliveries: ${receiver.refused.join('; ')}`);
  };
  return receiver;
}
