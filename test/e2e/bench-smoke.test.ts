import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { figureKeys, type BenchResults } from '../../bench/main.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm run bench -- --preset small` as CI runs it: a smoke check that every scenario runs end to end
 * and yields every figure as a finite number. No timing is asserted (the machine is shared). Scenario G
 * (onboarding) has its own test, bench-onboarding.test.ts, so CI runs its small preset once.
 */
const scenarios = (Object.keys(figureKeys) as (keyof typeof figureKeys)[]).filter((scenario) => scenario !== 'g');
describe('benchmark, small preset (smoke)', () => {
  it(
    'completes and produces every figure as a finite number',
    async () => {
      const jsonPath = join(tmpdir(), `bench-smoke-${randomBytes(4).toString('hex')}.json`);
      const args = ['--import', 'tsx', 'bench/main.ts', '--preset', 'small', '--only', scenarios.join(','), '--no-write', '--json', jsonPath, '--temporal-address', inject('temporalAddress')];
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

      // A scenario that failed is an error; only figures a preset skips on purpose, or F while the
      // usage team's scripts are missing, may be absent.
      const failures = Object.entries(results.notMeasured).filter(([, reason]) => !/^not (run|measured):/.test(reason));
      expect(failures, output).toEqual([]);
      for (const key of scenarios.flatMap((scenario) => figureKeys[scenario])) {
        if (key in results.notMeasured) continue;
        expect(Number.isFinite(results.figures[key]), `${key} = ${results.figures[key]}`).toBe(true);
      }
      const measured = scenarios.flatMap((scenario) => figureKeys[scenario]).filter((key) => !(key in results.notMeasured));
      expect(measured.length).toBeGreaterThan(40);
      for (const value of Object.values(results.figures)) expect(Number.isFinite(value)).toBe(true);
    },
    15 * 60_000,
  );
});
