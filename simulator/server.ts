import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { handleDuoRequest } from './api.js';
import { handleControlRequest } from './control.js';
import { sendJson } from './http-io.js';
import { AccountRegistry } from './registry.js';
import { accountSpecSchema, type AccountSpec } from './spec.js';

export type { AccountPermissions, AccountSettings, AccountSpec, DatasetSpec, FaultSpec, RateLimitSpec } from './spec.js';

/** A certificate (and its key) the simulator serves HTTPS with, e.g. one for `api-xxxxxxxx.duosecurity.com`. */
export interface SimulatorTls {
  /** PEM. */
  key: string;
  /** PEM; the leaf first, then any intermediates. */
  cert: string;
  /** Default 0: a free port. */
  port?: number;
}

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  accounts: AccountSpec[];
  /** The simulator clock (ms). Drives date checks, visibility, live events and rate limits. Default Date.now. */
  now?: () => number;
  /** Also serve the same accounts over HTTPS on a second port. */
  tls?: SimulatorTls;
}

export interface RunningSimulator {
  /** `http://127.0.0.1:PORT`: the Admin API and the control API. */
  origin: string;
  /** `https://127.0.0.1:PORT` when started with `tls`: the Admin API and the control API over TLS. */
  tlsOrigin: string | undefined;
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve(`${host.includes(':') ? `[${host}]` : host}:${bound}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/**
 * Starts a Duo Admin API simulator on node:http (and node:https with `tls`). Admin API paths need
 * Duo-signed requests; the control API under /__sim/ needs none (it is for tests only).
 */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const now = options.now ?? Date.now;
  const accounts = options.accounts.map((spec) => accountSpecSchema.parse(spec));
  const registry = new AccountRegistry(accounts, now);
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      timers.add(entry);
    });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const work =
      url === '/__sim' || url.startsWith('/__sim/')
        ? handleControlRequest(req, res, { registry, now })
        : handleDuoRequest(req, res, { registry, now, sleep });
    work.catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { stat: 'FAIL', code: 50001, message: error instanceof Error ? error.message : 'internal error' });
    });
  };

  const host = options.host ?? '127.0.0.1';
  const servers: Server[] = [];
  const plain = createServer(onRequest);
  servers.push(plain);
  const origin = `http://${await listen(plain, options.port ?? 0, host)}`;
  let tlsOrigin: string | undefined;
  if (options.tls) {
    const secure = createTlsServer({ key: options.tls.key, cert: options.tls.cert }, onRequest);
    try {
      tlsOrigin = `https://${await listen(secure, options.tls.port ?? 0, host)}`;
    } catch (error) {
      await closeServer(plain);
      throw error;
    }
    servers.push(secure);
  }
  return {
    origin,
    tlsOrigin,
    async close() {
      for (const entry of timers) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      timers.clear();
      await Promise.all(servers.map(closeServer));
    },
  };
}
