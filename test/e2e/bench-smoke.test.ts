import { describe, expect, inject, it } from 'vitest';
import { figureKeys } from '../../bench/main.js';
import { runBenchProcess } from '../helpers/bench-process.js';

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
      const { code, output, results } = await runBenchProcess(['--preset', 'small', '--only', scenarios.join(','), '--temporal-address', inject('temporalAddress')]);
      expect(code, output).toBe(0);
      if (!results) throw new Error('the bench wrote no results');

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
