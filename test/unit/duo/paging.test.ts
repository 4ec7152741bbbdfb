import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DuoMalformedResponseError } from '../../../duo/errors.js';
import { authCursorFromNextOffset, logCursorPages, mintimePages, nextMintime, nextMintimeStep, offsetPages, pageItems } from '../../../duo/paging.js';

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('offsetPages', () => {
  it('follows next_offset until it is absent', async () => {
    const data = [1, 2, 3, 4, 5];
    const pages = await collect(
      offsetPages('/admin/v1/users', async (offset) => ({ items: data.slice(offset, offset + 2), nextOffset: offset + 2 < data.length ? offset + 2 : null, totalObjects: data.length })),
    );
    expect(pages).toEqual([
      { items: [1, 2], next: 2, totalObjects: 5 },
      { items: [3, 4], next: 4, totalObjects: 5 },
      { items: [5], next: null, totalObjects: 5 },
    ]);
  });

  it('resumes from a stored offset', async () => {
    const offsets: number[] = [];
    await collect(offsetPages('/admin/v1/users', async (offset) => (offsets.push(offset), { items: [], nextOffset: null, totalObjects: null }), 600));
    expect(offsets).toEqual([600]);
  });

  it('refuses a next_offset that does not advance', async () => {
    const pages = offsetPages('/admin/v1/users', async () => ({ items: [1], nextOffset: 0, totalObjects: null }));
    await expect(collect(pages)).rejects.toBeInstanceOf(DuoMalformedResponseError);
  });

  it('fetches the next page only when asked, holding one page at a time', async () => {
    let fetches = 0;
    const pages = offsetPages('/admin/v1/users', async (offset) => (fetches++, { items: [offset], nextOffset: offset + 1, totalObjects: null }));
    await pages.next();
    expect(fetches).toBe(1);
    await pages.return(undefined);
  });
});

describe('logCursorPages', () => {
  it('starts without a cursor and follows string cursors until null', async () => {
    const seen: Array<string | null> = [];
    const cursors = ['1000,a', '2000,b', null];
    const pages = await collect(
      logCursorPages('/admin/v2/logs/authentication', async (cursor) => {
        seen.push(cursor);
        return { items: [seen.length], nextCursor: cursors[seen.length - 1] ?? null };
      }),
    );
    expect(seen).toEqual([null, '1000,a', '2000,b']);
    expect(pages.map((p) => p.next)).toEqual(['1000,a', '2000,b', null]);
  });

  it('resumes from a stored cursor', async () => {
    const seen: Array<string | null> = [];
    await collect(logCursorPages('/x', async (cursor) => (seen.push(cursor), { items: [], nextCursor: null }), '5,z'));
    expect(seen).toEqual(['5,z']);
  });

  it('refuses a next_offset equal to the cursor just sent', async () => {
    const pages = logCursorPages('/admin/v2/logs/activity', async () => ({ items: [1], nextCursor: '1000,a' }));
    const error = await collect(pages).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DuoMalformedResponseError);
    expect(error).toMatchObject({ endpoint: '/admin/v2/logs/activity', issuePath: 'metadata.next_offset' });
  });
});

describe('logCursorPages loop guard', () => {
  it('refuses a next_offset that moves back in time', async () => {
    const cursors = ['2000,b', '1000,a'];
    let call = 0;
    const pages = logCursorPages('/admin/v2/logs/telephony', async () => ({ items: [], nextCursor: cursors[call++] ?? null }));
    await expect(collect(pages)).rejects.toBeInstanceOf(DuoMalformedResponseError);
  });

  it('accepts a next_offset with the same timestamp and another id', async () => {
    const cursors = ['2000,a', '2000,b', null];
    let call = 0;
    const pages = await collect(logCursorPages('/x', async () => ({ items: [], nextCursor: cursors[call++] ?? null })));
    expect(pages.map((p) => p.next)).toEqual(['2000,a', '2000,b', null]);
  });
});

describe('authCursorFromNextOffset', () => {
  it('joins the [ts_ms, txid] array with a comma', () => {
    expect(authCursorFromNextOffset(['1532951895000', 'af0ba235-0b33-23c8-bc23-a31aa0231de8'])).toBe('1532951895000,af0ba235-0b33-23c8-bc23-a31aa0231de8');
  });

  it('accepts a numeric timestamp', () => {
    expect(authCursorFromNextOffset([1532951895000, 'tx'])).toBe('1532951895000,tx');
  });

  it('treats null and absence as done', () => {
    expect(authCursorFromNextOffset(null)).toBeNull();
    expect(authCursorFromNextOffset(undefined)).toBeNull();
  });

  it('keeps an already comma-joined cursor', () => {
    expect(authCursorFromNextOffset('1,tx')).toBe('1,tx');
  });

  it('round-trips through JSON, so it can be stored and heartbeated', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_999_999_999_999 }), fc.uuid(), (ts, txid) => {
        const cursor = authCursorFromNextOffset([String(ts), txid]);
        expect(JSON.parse(JSON.stringify(cursor))).toBe(cursor);
        expect(cursor?.split(',')).toEqual([String(ts), txid]);
      }),
    );
  });
});

describe('nextMintime', () => {
  const page = (timestamps: number[]) => nextMintime('/admin/v1/logs/administrator', 100, timestamps, 4);

  it('is done when the page is not full', () => {
    expect(page([100, 101, 102])).toBeNull();
  });

  it('continues from the latest timestamp of a full page, inclusive', () => {
    expect(page([100, 105, 103, 104])).toBe(105);
  });

  it('moves one second on when a full page shares one timestamp', () => {
    expect(page([150, 150, 150, 150])).toBe(151);
  });

  it('moves one second on when the latest timestamp equals mintime', () => {
    expect(nextMintime('/x', 100, [99, 100, 100, 100], 4)).toBe(101);
  });

  it('refuses a full page entirely older than mintime', () => {
    expect(() => page([1, 2, 3, 4])).toThrow(DuoMalformedResponseError);
  });

  it('always advances on a full page', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2e9 }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 5, maxLength: 5 }), (mintime, offsets) => {
        const next = nextMintime('/x', mintime, offsets.map((o) => mintime + o), 5);
        expect(next).not.toBeNull();
        expect(next ?? 0).toBeGreaterThan(mintime);
      }),
    );
  });
});

describe('nextMintimeStep', () => {
  const step = (timestamps: number[]) => nextMintimeStep('/admin/v1/logs/administrator', 100, timestamps, 4);

  it('reports the second it moves past when a full page shares it', () => {
    expect(step([150, 150, 150, 150])).toEqual({ next: 151, overflowSecond: 150 });
  });

  it('reports no overflow when a full page spans seconds (the last one is read again)', () => {
    expect(step([100, 105, 103, 104])).toEqual({ next: 105, overflowSecond: null });
  });

  it('reports no overflow on the last page', () => {
    expect(step([100, 100, 100])).toEqual({ next: null, overflowSecond: null });
  });
});

describe('mintimePages', () => {
  it('marks the page after which the rest of a second was skipped', async () => {
    const pages = await collect(
      mintimePages('/admin/v1/logs/administrator', async (mintime) => (mintime === 10 ? [{ t: 10 }, { t: 10 }] : [{ t: 11 }]), (row) => row.t, 10, 2),
    );
    expect(pages.map((p) => [p.next, p.overflowSecond])).toEqual([
      [11, 10],
      [null, null],
    ]);
  });

  it('scans with mintime until a page comes back short', async () => {
    const seen: number[] = [];
    const pages = await collect(
      mintimePages(
        '/admin/v1/logs/administrator',
        async (mintime) => {
          seen.push(mintime);
          return mintime === 10 ? [{ t: 10 }, { t: 12 }] : [{ t: 12 }];
        },
        (row) => row.t,
        10,
        2,
      ),
    );
    expect(seen).toEqual([10, 12]);
    expect(pages.map((p) => p.next)).toEqual([12, null]);
  });
});

describe('pageItems', () => {
  it('flattens pages in order', async () => {
    async function* pages() {
      yield { items: [1, 2] };
      yield { items: [] };
      yield { items: [3] };
    }
    expect(await collect(pageItems(pages()))).toEqual([1, 2, 3]);
  });
});
