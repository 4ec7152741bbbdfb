import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import type { BenchResults } from '../../bench/main.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Scenario G's small preset as CI runs it (50 tenants, each account 30 log requests a minute, pages of
 * 50 rows): every tenant onboarded exactly and no account refused a request for going over its limit.
 * No timing is asserted (the machine is shared); the timing figures belong to `npm run bench`.
 */
describe('benchmark scenario G, small preset', () => {
  it(
    'onboards every tenant exactly without any account going over its Duo limit',
    async () => {
      const jsonPath = join(tmpdir(), `bench-g-${randomBytes(4).toString('hex')}.json`);
      const args = ['--import', 'tsx', 'bench/main.ts', '--preset', 'small', '--only', 'g', '--worker', 'tsx', '--no-write', '--json', jsonPath, '--temporal-address', inject('temporalAddress')];
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        const keep = (chunk: Buffer) => {
          output = (output + chunk.toString()).slice(-20_000);
        };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        child.once('exit', (exitCode) => resolve({ code: exitCode, output }));
      });
      expect(code, output).toBe(0);
      const results = JSON.parse(await readFile(jsonPath, 'utf8')) as BenchResults;
      await rm(jsonPath, { force: true });

      expect(results.notMeasured, output).toEqual({});
      expect(results.figures.gTenants).toBe(50);
      expect(results.figures.gCompletedShare, output).toBe(1);
      expect(results.figures.gInexactTenants, output).toBe(0);
      // The simulator enforces each account's limit: not one request refused means none went over it.
      expect(results.figures.gShare429, output).toBe(0);
    },
    20 * 60_000,
  );
});
