import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { handleDuoRequest } from './api.js';
import { handleControlRequest } from './control.js';
import { sendJson } from './http-io.js';
import { AccountRegistry } from './registry.js';
import { accountSpecSchema, type AccountSpec } from './spec.js';

export type { AccountPermissions, AccountSpec, DatasetSpec, FaultSpec, RateLimitSpec } from './spec.js';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  accounts: AccountSpec[];
  /** The simulator clock (ms). Drives date checks, visibility, live events and rate limits. Default Date.now. */
  now?: () => number;
}

export interface RunningSimulator {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  close(): Promise<void>;
}

/**
 * Starts a Duo Admin API simulator on node:http. Admin API paths need Duo-signed requests; the
 * control API under /__sim/ needs none (it is for tests only).
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

  const server = createServer(onRequest);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port ?? 0;
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      for (const entry of timers) {
        clearTimeout(entry.timer);
        entry.resolve();
      }
      timers.clear();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
