import { describe, expect, it } from 'vitest';
import { breakRequiredField, driftItems, FaultInjector } from '../../../simulator/faults.js';
import { Rng } from '../../../simulator/prng.js';

function abortsOf(injector: FaultInjector, n: number): Array<string | undefined> {
  return Array.from({ length: n }, () => injector.plan().abort);
}

describe('FaultInjector', () => {
  it('injects nothing without a spec', () => {
    const plan = new FaultInjector({}, 1).plan();
    expect(plan).toMatchObject({ abort: undefined, slowMs: 0, body: undefined, schemaDrift: false, typeDrift: false, stuckCursor: false });
  });

  it('replays the same decisions for the same seed', () => {
    const spec = { seed: 9, serverErrorRate: 0.3, resetRate: 0.1, rateLimitRate: 0.2 };
    expect(abortsOf(new FaultInjector(spec, 1), 200)).toEqual(abortsOf(new FaultInjector(spec, 2), 200));
  });

  it('restarts the sequence when reconfigured', () => {
    const spec = { seed: 3, serverErrorRate: 0.5 };
    const injector = new FaultInjector(spec, 1);
    const first = abortsOf(injector, 50);
    injector.configure(spec);
    expect(abortsOf(injector, 50)).toEqual(first);
  });

  it('injects at roughly the configured rate', () => {
    const aborts = abortsOf(new FaultInjector({ seed: 5, serverErrorRate: 0.2 }, 1), 5000);
    const share = aborts.filter((a) => a === 'serverError').length / aborts.length;
    expect(share).toBeGreaterThan(0.17);
    expect(share).toBeLessThan(0.23);
  });

  it('answers 429 in bursts of consecutive requests', () => {
    const aborts = abortsOf(new FaultInjector({ seed: 11, rateLimitRate: 0.05, rateLimitBurst: 4 }, 1), 4000);
    let longest = 0;
    let run = 0;
    for (const a of aborts) {
      run = a === 'rateLimit' ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeGreaterThanOrEqual(2);
  });

  it('uses slowMs for slow responses', () => {
    expect(new FaultInjector({ slowRate: 1, slowMs: 250 }, 1).plan().slowMs).toBe(250);
  });
});

describe('driftItems', () => {
  it('adds fields to every item and nulls only listed nullable fields', () => {
    const items = Array.from({ length: 40 }, () => ({ reason: 'user_approved', txid: 'x', access_device: { ip: '1.2.3.4' } }));
    driftItems(items, ['reason', 'access_device.ip'], new Rng(1));
    for (const item of items) {
      expect(item).toHaveProperty('sim_added_field');
      expect(item.txid).toBe('x');
    }
    expect(items.some((i) => i.reason === null)).toBe(true);
    expect(items.some((i) => i.access_device.ip === null)).toBe(true);
  });
});

describe('breakRequiredField', () => {
  it("turns the first item's string field into a number and leaves the others alone", () => {
    const items = [{ txid: 'a' }, { txid: 'b' }];
    expect(breakRequiredField(items, 'txid', new Rng(1))).toBe(true);
    expect(typeof items[0]?.txid).toBe('number');
    expect(items[1]?.txid).toBe('b');
  });

  it("turns the first item's number field into a string", () => {
    const items = [{ timestamp: 1767225600 }];
    breakRequiredField(items, 'timestamp', new Rng(1));
    expect(items[0]?.timestamp).toBe('1767225600');
  });

  it('reports a page without items, so the list itself can be broken', () => {
    expect(breakRequiredField([], 'txid', new Rng(1))).toBe(false);
  });
});
