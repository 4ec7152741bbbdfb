import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runScript, type ScriptProcess } from '../helpers/npm-script.js';

/**
 * `npm start` as a newcomer runs it: no DATABASE_URL (embedded PGlite), no secrets, in a fresh
 * directory. Temporal is the test run's dev server (TEMPORAL_ADDRESS) so the fixed local ports stay
 * free; everything else is the real entry point as a child process.
 */
describe('npm start without DATABASE_URL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duo-start-'));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'development',
    LOG_LEVEL: 'info',
    API_PORT: '0',
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: `start-${randomBytes(6).toString('hex')}`,
  };
  const running: ScriptProcess[] = [];

  afterAll(() => {
    for (const run of running) run.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function startAndCheck(): Promise<{ run: ScriptProcess; url: string; token: string }> {
    const run = runScript('start', { cwd: dir, env });
    running.push(run);
    const [, url] = await run.waitForOutput(/"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*duo-usage-sync is running/, 90_000);
    const [, token] = await run.waitForOutput(/Local API token \(from \.data\/dev-secrets\.json\): (\S+)/, 5_000);
    expect(run.stdout()).toContain('DATABASE_URL not set: using embedded PGlite');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok' } });
    // A real query through the API, the pool and PGlite: an unknown tenant is a 404, not a 500.
    const unknown = await fetch(`${url}/v1/tenants/nobody/integrations/duo`, { headers: { authorization: `Bearer ${token!}` } });
    expect(unknown.status).toBe(404);
    return { run, url: url!, token: token! };
  }

  async function interrupt(run: ScriptProcess) {
    run.child.kill('SIGINT');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
    return Promise.race([run.exited, timeout]);
  }

  it('comes up on PGlite, answers /readyz, stops cleanly on SIGINT, and a second start resumes from .data', async () => {
    const first = await startAndCheck();
    expect(existsSync(join(dir, '.data/pglite/PG_VERSION'))).toBe(true);
    expect(await interrupt(first.run)).toEqual({ code: 0, signal: null });
    expect(first.run.stdout()).toContain('"msg":"worker stopped"');
    expect(first.run.stderr()).not.toContain('start failed');

    const second = await startAndCheck();
    expect(second.token).toBe(first.token);
    expect(await interrupt(second.run)).toEqual({ code: 0, signal: null });
  }, 200_000);
});
