import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../api/app.js';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { startApi, type RunningApi } from '../../api/server.js';
import { loadConfig, type Config } from '../../config/config.js';
import { createLogger } from '../../observability/logger.js';
import { testEnv } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

/**
 * Limits only a real listening server has: bodies over the limit on the wire, and clients that
 * connect and then send nothing, or send their request a byte at a time (slowloris). Runs the
 * process entry's startApi, so the server is configured exactly as in production.
 */

/** A trickling client would need this long to finish; the server must cut it off well before. */
const CUT_OFF_WITHIN_MS = 120_000;

let database: TestDatabase;
let config: Config;
let api: RunningApi;
let port = 0;

interface RawExchange {
  /** Everything the server sent back. */
  received: string;
  /** ms from connecting until the server closed the connection, or null if it was still open at the deadline. */
  closedAfterMs: number | null;
}

/**
 * Opens a raw TCP connection, lets `talk` write to it (it may keep writing on a timer), and resolves
 * when the server closes the connection or the deadline passes (then the client gives up).
 */
function rawExchange(talk: (socket: Socket) => void, deadlineMs = CUT_OFF_WITHIN_MS): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => talk(socket));
    let received = '';
    let settled = false;
    const finish = (closedAfterMs: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      resolve({ received, closedAfterMs });
    };
    const deadline = setTimeout(() => finish(null), deadlineMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
    });
    socket.on('error', () => finish(Date.now() - started));
    socket.on('end', () => finish(Date.now() - started));
    socket.on('close', () => finish(Date.now() - started));
  });
}

/** Writes `text` one byte per interval until the socket closes. */
function trickle(socket: Socket, text: string, intervalMs = 1000): void {
  let next = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || next >= text.length) {
      clearInterval(timer);
      return;
    }
    socket.write(text[next++] ?? '');
  }, intervalMs);
}

const statusOf = (received: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
const bodyOf = (received: string) => received.slice(received.indexOf('\r\n\r\n') + 4);

// The slow clients are started together in beforeAll and each test awaits its own: the file takes as
// long as the slowest cut-off, not the sum of them.
let idle: Promise<RawExchange>;
let slowHeaders: Promise<RawExchange>;
let slowBody: Promise<RawExchange>;
let slowBodyWithoutToken: Promise<RawExchange>;

beforeAll(async () => {
  database = await createTestDatabase();
  config = loadConfig(testEnv({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), API_PORT: '0', LOG_LEVEL: 'silent' }));
  api = await startApi(config, { logger: createLogger(config), migrate: false });
  port = Number(new URL(api.url).port);
  const put = (headers: string) =>
    `PUT /v1/tenants/slow/integrations/duo HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Content-Type: application/json\r\nContent-Length: 2000\r\n\r\n{`;
  idle = rawExchange(() => {});
  slowHeaders = rawExchange((socket) => {
    socket.write('GET /openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    trickle(socket, `Authorization: Bearer ${config.API_TOKEN}\r\n${'X-Pad: y\r\n'.repeat(200)}\r\n`);
  });
  slowBody = rawExchange((socket) => {
    socket.write(put(`Authorization: Bearer ${config.API_TOKEN}\r\n`));
    trickle(socket, ' '.repeat(1999));
  });
  slowBodyWithoutToken = rawExchange((socket) => {
    socket.write(put(''));
    trickle(socket, ' '.repeat(1999));
  });
}, 60_000);

afterAll(async () => {
  // Let the slow clients finish (each gives up at its deadline) before the server closes.
  await Promise.allSettled([idle, slowHeaders, slowBody, slowBodyWithoutToken]);
  await api?.close();
  await database?.drop();
}, CUT_OFF_WITHIN_MS + 30_000);

describe('bodies over the limit on a real socket', () => {
  it('answers 413 payload_too_large to a declared Content-Length over 64 KiB without waiting for the body', async () => {
    const exchange = await rawExchange((socket) => {
      socket.write(
        `PUT /v1/tenants/big/integrations/duo HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${config.API_TOKEN}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${BODY_LIMIT_BYTES + 1}\r\n\r\n{"by":"`,
      );
    }, 30_000);
    expect(statusOf(exchange.received)).toBe(413);
    expect(errorResponseSchema.parse(JSON.parse(bodyOf(exchange.received))).error.code).toBe('payload_too_large');
  });

  it('answers 413 payload_too_large to a chunked body that grows past 64 KiB', async () => {
    const exchange = await rawExchange((socket) => {
      socket.write(
        `POST /v1/tenants/big/integrations/duo/pause HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${config.API_TOKEN}\r\n` +
          'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
      );
      const chunk = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 6; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      socket.write('0\r\n\r\n');
    }, 30_000);
    expect(statusOf(exchange.received)).toBe(413);
    expect(exchange.received).toContain('payload_too_large');
  });
});

describe('slow clients are cut off by server timeouts', () => {
  it('closes a connection that never sends a request', async () => {
    expect((await idle).closedAfterMs).not.toBeNull();
  }, CUT_OFF_WITHIN_MS + 10_000);

  it('closes a connection whose request headers trickle in a byte a second', async () => {
    expect((await slowHeaders).closedAfterMs).not.toBeNull();
  }, CUT_OFF_WITHIN_MS + 10_000);

  it('closes an authenticated connection whose request body trickles in a byte a second', async () => {
    expect((await slowBody).closedAfterMs).not.toBeNull();
  }, CUT_OFF_WITHIN_MS + 10_000);

  it('closes an unauthenticated connection after its 401 instead of reading a trickling body', async () => {
    const exchange = await slowBodyWithoutToken;
    expect(statusOf(exchange.received)).toBe(401);
    expect(exchange.closedAfterMs).not.toBeNull();
  }, CUT_OFF_WITHIN_MS + 10_000);
});
