import { describe, expect, inject, it } from 'vitest';
import { runBenchProcess } from '../helpers/bench-process.js';

/**
 * Scenario G's small preset as CI runs it (50 tenants, each account 30 log requests a minute, pages of
 * 50 rows): every tenant onboarded exactly and no account refused a request for going over its limit.
 * No timing is asserted (the machine is shared); the timing figures belong to `npm run bench`.
 */
describe('benchmark scenario G, small preset', () => {
  it(
    'onboards every tenant exactly without any account going over its Duo limit',
    async () => {
      const { code, output, results } = await runBenchProcess(['--preset', 'small', '--only', 'g', '--worker', 'tsx', '--temporal-address', inject('temporalAddress')]);
      expect(code, output).toBe(0);
      if (!results) throw new Error('the bench wrote no results');

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
