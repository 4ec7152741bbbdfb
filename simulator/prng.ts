/**
 * Counter-based randomness: every generated value is a pure function of (seed, salt, indexes), so
 * any event can be regenerated on demand without keeping state or earlier values.
 */

const TWO_32 = 4294967296;

/** Murmur3's 32-bit finaliser: a cheap bijective mix with full avalanche. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function step(h: number, x: number): number {
  return mix32((h ^ mix32(x + 0x9e3779b9)) + 0x7f4a7c15);
}

export function hash2(a: number, b: number): number {
  return step(mix32(a), b);
}

export function hash3(a: number, b: number, c: number): number {
  return step(step(mix32(a), b), c);
}

export function hash4(a: number, b: number, c: number, d: number): number {
  return step(step(step(mix32(a), b), c), d);
}

export function hash5(a: number, b: number, c: number, d: number, e: number): number {
  return step(step(step(step(mix32(a), b), c), d), e);
}

/** A uniform float in [0, 1) from a 32-bit hash. */
export function unit(h: number): number {
  return h / TWO_32;
}

/** Folds any safe integer (negative, or wider than 32 bits) into a 32-bit seed. */
export function seed32(seed: number): number {
  const value = Math.trunc(seed);
  const low = value % TWO_32;
  const high = Math.floor(value / TWO_32);
  return hash2(low >>> 0, high >>> 0);
}

/** FNV-1a over a string, for salts named by text. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return mix32(h);
}

/** A small sequential generator (mulberry32) for the many fields of one generated record. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_32;
  }

  uint32(): number {
    return Math.floor(this.next() * TWO_32) >>> 0;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Picks by weight; `weights` are parallel to `items` and need not sum to 1. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let target = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      target -= weights[i] ?? 0;
      const item = items[i];
      if (target < 0 && item !== undefined) return item;
    }
    return this.pick(items);
  }

  hex(chars: number): string {
    let out = '';
    while (out.length < chars) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, chars);
  }
}
