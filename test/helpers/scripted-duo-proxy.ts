import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A proxy between the service and the Duo simulator, for tests that must script Duo precisely: it
 * records every request (path and query, which the simulator's counters do not keep), can answer in
 * Duo's place (a 503, a malformed page) or pause a request while the test changes the world, and can
 * rewrite the JSON Duo answered (e.g. hide rows that Duo shows late). Signatures are checked by the
 * simulator, which signs nothing with the Host header, so forwarding keeps them valid.
 */

export interface ProxiedRequest {
  /** Position in `requests`. */
  index: number;
  /** The integration key from the Authorization header ('' when none). */
  integrationKey: string;
  path: string;
  params: URLSearchParams;
}

export interface ProxyAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface ScriptedDuoProxy {
  origin: string;
  /** Where requests go (the simulator's origin); may be set after start, once the simulator is up. */
  upstream: string;
  requests: ProxiedRequest[];
  /** Called for every request before it is forwarded: an answer replaces Duo's, undefined forwards. */
  script: (request: ProxiedRequest) => ProxyAnswer | undefined | Promise<ProxyAnswer | undefined>;
  /** Rewrites the JSON body Duo answered with (status 200 only). */
  rewrite: (request: ProxiedRequest, body: unknown) => unknown;
  close(): Promise<void>;
}

/** A 200 that is not JSON: a proxy or captive portal answering in Duo's place. */
export const malformedAnswer: ProxyAnswer = {
  status: 200,
  contentType: 'text/html',
  body: '<html><body><h1>Request blocked</h1></body></html>',
};

export const serverErrorAnswer: ProxyAnswer = {
  status: 503,
  contentType: 'text/html',
  body: '<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>',
};

function integrationKeyOf(request: IncomingMessage): string {
  const match = /^Basic (.+)$/.exec(request.headers.authorization ?? '');
  return match ? Buffer.from(match[1] ?? '', 'base64').toString('utf8').split(':')[0] ?? '' : '';
}

export async function startScriptedDuoProxy(upstream = ''): Promise<ScriptedDuoProxy> {
  const proxy: ScriptedDuoProxy = {
    origin: '',
    upstream,
    requests: [],
    script: () => undefined,
    rewrite: (_request, body) => body,
    close: async () => {},
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const seen: ProxiedRequest = { index: proxy.requests.length, integrationKey: integrationKeyOf(request), path: url.pathname, params: url.searchParams };
    proxy.requests.push(seen);
    const scripted = await proxy.script(seen);
    if (scripted) {
      response.writeHead(scripted.status, { 'content-type': scripted.contentType });
      response.end(scripted.body);
      return;
    }
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'date', 'x-duo-date', 'content-type']) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(`${proxy.upstream}${request.url ?? '/'}`, { method: request.method ?? 'GET', headers });
    let body = await answer.text();
    if (answer.status === 200) body = JSON.stringify(proxy.rewrite(seen, JSON.parse(body)));
    response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    response.end(body);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
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
