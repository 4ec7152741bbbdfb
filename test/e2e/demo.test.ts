import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runScript, type ScriptProcess } from '../helpers/npm-script.js';

/**
 * `npm run demo -- --exit-when-done` as CI runs it: no TTY, no DATABASE_URL (PGlite), a small demo
 * account. The whole path: simulator, local stack, connect through the HTTP API, progress until the
 * initial sync completes, the usage summary, the links, a clean stop.
 */
describe('npm run demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duo-demo-'));
  const tenant = `demo-${randomBytes(3).toString('hex')}`;
  let run: ScriptProcess | undefined;

  afterAll(() => {
    run?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs a small demo account, prints progress and the usage summary, and exits', async () => {
    run = runScript('demo', {
      cwd: dir,
      args: ['--exit-when-done', '--users', '150', '--groups', '6', '--days', '7', '--events', '1500', '--tenant', tenant],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        API_PORT: '0',
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: `demo-${randomBytes(6).toString('hex')}`,
      },
    });
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 100_000).unref());
    const exit = await Promise.race([run.exited, timeout]);
    const out = run.stdout();
    expect(exit, `${out}\n${run.stderr()}`).toEqual({ code: 0, signal: null });

    expect(out).toContain('Database: embedded PGlite in');
    expect(out).toContain(`Connected tenant "${tenant}"`);
    // Not a TTY: plain progress lines, no carriage-return redraws.
    expect(out).toMatch(/^initial sync \d+%: phase \w+, [\d,]+ users, [\d,]+ events, \d+\/7 days/m);
    expect(out).not.toContain('\r');
    expect(out).toMatch(/^Initial sync completed .*: 150 users, 6 groups, \d+ authentication events$/m);
    expect(out).toMatch(/^in Duo \(not deleted\)\s+150$/m);
    expect(out).toMatch(/^active in the last 30 days\s+\d+$/m);
    expect(out).toMatch(/^application\s+users 30d\s+users 90d\s+auths 90d\s+denied 90d$/m);
    expect(out).toMatch(/^\S.*\s[\d,]+\s+[\d,]+\s+[\d,]+\s+[\d,]+$/m); // at least one application row
    expect(out).toMatch(/\/openapi\.json/);
    expect(out).toContain(`TenantId = "${tenant}"`);
    // The console link logs in through the fragment with a key of its own, never the query string.
    expect(out).toMatch(new RegExp(`^  Console: +http://127\\.0\\.0\\.1:\\d+/#key=dus_[^&\\s]+&tenant=${tenant} `, 'm'));
    expect(out).toContain('Demo complete; stopped.');
  }, 130_000);
});
