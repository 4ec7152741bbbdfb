import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, inject, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../config/logger.js';
import { startApi, type RunningApi } from '../../client/server.js';
import { testEnv } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
let database: TestDatabase; let api: RunningApi; let token = '';
beforeAll(async () => {
  database = await createTestDatabase();
  const config = loadConfig(testEnv({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), API_PORT: '0', LOG_LEVEL: 'silent' }));
  token = config.API_TOKEN;
  api = await startApi(config, { logger: createLogger(config), migrate: false });
});
afterAll(async () => { await api?.close(); await database?.drop(); });
it('probe', async () => {
  const url = new URL(api.url);
  const started = Date.now();
  const open = (name: string, onConnect: (s: Socket) => void) => new Promise<void>((resolve) => {
    const s = connect(Number(url.port), url.hostname, () => onConnect(s));
    let got = '';
    s.on('data', (d) => { got += d.toString(); });
    s.on('error', () => {});
    s.on('close', () => { process.stdout.write(`${name}: closed after ${Date.now() - started} ms: ${got.slice(0, 120).replace(/\r\n/g, ' | ')}\n`); resolve(); });
    setTimeout(() => { process.stdout.write(`${name}: still open after 150 s\n`); s.destroy(); }, 150_000);
  });
  await Promise.all([
    open('idle', () => {}),
    open('headers', (s) => { s.write('GET /openapi.json HTTP/1.1\r\nHost: x\r\n'); const t = setInterval(() => { if (s.destroyed) clearInterval(t); else s.write('X-A: b\r\n'); }, 1000); }),
    open('body-auth', (s) => { s.write(`PUT /v1/tenants/x/integrations/duo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`); const t = setInterval(() => { if (s.destroyed) clearInterval(t); else s.write(' '); }, 1000); }),
    open('body-noauth', (s) => { s.write(`PUT /v1/tenants/x/integrations/duo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`); const t = setInterval(() => { if (s.destroyed) clearInterval(t); else s.write(' '); }, 1000); }),
  ]);
}, 200_000);
