import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { startRoundGate } from './protocol-round-gate.js';

/**
 * Local runs without DATABASE_URL: PGlite (Postgres compiled to WebAssembly, in this process)
 * persisted in `dataDir`, served over the Postgres wire protocol on 127.0.0.1, so postgres-js and the
 * drizzle migrations run exactly as against a real server. Not for production: one session, every
 * query serialized, in the same process as the worker.
 */
export interface EmbeddedPostgres {
  /** postgres://… URL of the one database (`postgres`). */
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: { dataDir: string; port?: number }): Promise<EmbeddedPostgres> {
  mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir);
  // pglite-socket serves one connection at a time by default; the gate in front hands the session to
  // one client round at a time, so the socket server may accept as many connections as the pools open.
  const socketServer = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1000 });
  await socketServer.start();
  const upstreamPort = Number(new URL(`postgres://${socketServer.getServerConn()}`).port);
  const gate = await startRoundGate(upstreamPort, options.port ?? 0);
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${gate.port}/postgres`,
    dataDir: options.dataDir,
    stop: () =>
      (stopped ??= (async () => {
        await gate.close();
        await socketServer.stop();
        await db.close();
      })()),
  };
}
