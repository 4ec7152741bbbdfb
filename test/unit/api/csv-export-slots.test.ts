import { describe, expect, it } from 'vitest';
import { CsvExportSlots } from '../../../api/routes/usage-csv.js';

describe('CSV export slots per key', () => {
  it('refuses one export more than the cap for the same key only', () => {
    const slots = new CsvExportSlots(2);
    expect(slots.acquire('a')).toBeTypeOf('function');
    expect(slots.acquire('a')).toBeTypeOf('function');
    expect(slots.acquire('a')).toBeUndefined();
    expect(slots.acquire('b')).toBeTypeOf('function');
  });

  it('frees a slot once released, and a second release frees nothing more', () => {
    const slots = new CsvExportSlots(1);
    const release = slots.acquire('a');
    release?.();
    release?.();
    expect(slots.acquire('a')).toBeTypeOf('function');
    expect(slots.acquire('a')).toBeUndefined();
  });
});
