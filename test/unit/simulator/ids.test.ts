import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { duoObjectId, formatEventUuid, packEventKey, permute48, unpermute48, uuidPrefix48 } from '../../../simulator/ids.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('permute48', () => {
  it('is inverted by unpermute48', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), (key, x) => {
        const y = permute48(key, x);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThan(2 ** 48);
        expect(unpermute48(key, y)).toBe(x);
      }),
    );
  });
});

describe('formatEventUuid', () => {
  it('looks like a version-4 UUID whose first 12 hex digits are the prefix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 0xffffffff }), (prefix, key) => {
        const id = formatEventUuid(prefix, key, packEventKey(29_000_000, 7));
        expect(id).toMatch(UUID_V4);
        expect(uuidPrefix48(id)).toBe(prefix);
      }),
    );
  });

  it('orders ids as strings the way their prefixes order as numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), (a, b) => {
        // Real prefixes are unique per event; equal ones would differ only in the random tail.
        fc.pre(a !== b);
        const ia = formatEventUuid(a, 1, 1);
        const ib = formatEventUuid(b, 1, 2);
        expect(Math.sign(a - b)).toBe(ia < ib ? -1 : ia > ib ? 1 : 0);
      }),
    );
  });
});

describe('duoObjectId', () => {
  it('gives distinct, Duo-shaped ids for distinct indexes', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const id = duoObjectId('DU', 12345, i);
      expect(id).toMatch(/^DU[0-9A-Z]{18}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(20_000);
  });
});
