import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  type: string;
  tenantId: string;
  at: string;
  details: Record<string, unknown>;
  /** When the request arrived (ms). */
  receivedAtMs: number;
}

/** How the receiver answers: 204, 500, or never (the request hangs until the sender gives up). */
export type ReceiverMode = 'ok' | 'fail' | 'hang';

export interface WebhookReceiver {
  url: string;
  /** Every request received so far, whatever it was answered. */
  received: ReceivedWebhook[];
  mode: ReceiverMode;
  close(): Promise<void>;
}

/** A local NOTIFY_WEBHOOK_URL receiver whose behaviour a test switches at any moment. */
export async function startWebhookReceiver(mode: ReceiverMode = 'ok'): Promise<WebhookReceiver> {
  const hanging: ServerResponse[] = [];
  const receiver: WebhookReceiver = { url: '', received: [], mode, close: async () => {} };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    request.on('end', () => {
      receiver.received.push({ ...(JSON.parse(body) as Omit<ReceivedWebhook, 'receivedAtMs'>), receivedAtMs: Date.now() });
      if (receiver.mode === 'ok') response.writeHead(204).end();
      else if (receiver.mode === 'fail') response.writeHead(500).end();
      else hanging.push(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = async () => {
    for (const response of hanging) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return receiver;
}
