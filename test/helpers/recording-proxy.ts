import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One Duo request the service sent, as the proxy saw it. */
export interface RecordedRequest {
  /** The integration key from the Authorization header ('' when none). */
  integrationKey: string;
  path: string;
  params: URLSearchParams;
  at: number;
}

export interface RecordingProxy {
  origin: string;
  /** Where requests go; set once the simulator is up. */
  upstream: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

function integrationKeyOf(request: IncomingMessage): string {
  const header = request.headers.authorization ?? '';
  const match = /^Basic (.+)$/.exec(header);
  return match ? Buffer.from(match[1] ?? '', 'base64').toString('utf8').split(':')[0] ?? '' : '';
}

/**
 * A pass-through HTTP proxy between the service and the Duo simulator that records every request's
 * path and query: what the service asked Duo for, which the simulator's counters do not say.
 */
export async function startRecordingProxy(): Promise<RecordingProxy> {
  const proxy: RecordingProxy = { origin: '', upstream: '', requests: [], close: async () => {} };
  const forward = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    proxy.requests.push({ integrationKey: integrationKeyOf(request), path: url.pathname, params: url.searchParams, at: Date.now() });
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'date', 'x-duo-date', 'content-type']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(`${proxy.upstream}${request.url ?? '/'}`, { method: request.method ?? 'GET', headers });
    const body = await answer.text();
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    response.end(body);
  };
  const server = createServer((request, response) => {
    forward(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
