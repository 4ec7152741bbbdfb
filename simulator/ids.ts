import { hash3, hash4, mix32, Rng } from './prng.js';

/**
 * Identifiers. Event ids are UUID-shaped strings whose first 48 bits are a keyed permutation of
 * (bucket, index): they look random, are unique by construction, and sort (as strings) in the
 * same order as that 48-bit prefix, which lets truth checksums sort numbers instead of strings.
 */

const HALF = 0x1000000; // 2^24
const ROUNDS = 4;

// Round keys of the last key used: callers permute many values under one key in a row.
let cachedKey = -1;
const roundKeys = new Uint32Array(ROUNDS);

function round(key: number, r: number, half: number): number {
  if (key !== cachedKey) {
    for (let k = 0; k < ROUNDS; k++) roundKeys[k] = hash3(key, 0x7e15, k);
    cachedKey = key;
  }
  return mix32(half ^ (roundKeys[r] ?? 0)) & 0xffffff;
}

/** A bijection on [0, 2^48): a four-round Feistel network over two 24-bit halves. */
export function permute48(key: number, x: number): number {
  let left = Math.floor(x / HALF);
  let right = x - left * HALF;
  for (let r = 0; r < ROUNDS; r++) {
    const next = (left ^ round(key, r, right)) >>> 0;
    left = right;
    right = next;
  }
  return left * HALF + right;
}

export function unpermute48(key: number, y: number): number {
  let left = Math.floor(y / HALF);
  let right = y - left * HALF;
  for (let r = ROUNDS - 1; r >= 0; r--) {
    const previous = (right ^ round(key, r, left)) >>> 0;
    right = left;
    left = previous;
  }
  return left * HALF + right;
}

/** Events per one-minute bucket are capped so (bucket, index) packs into 48 bits. */
export const MAX_EVENTS_PER_BUCKET = 0x10000;

export function packEventKey(bucket: number, index: number): number {
  return bucket * MAX_EVENTS_PER_BUCKET + index;
}

export function unpackEventKey(packed: number): { bucket: number; index: number } {
  const bucket = Math.floor(packed / MAX_EVENTS_PER_BUCKET);
  return { bucket, index: packed - bucket * MAX_EVENTS_PER_BUCKET };
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(v: number): string {
  return (HEX_BYTE[v >>> 24] ?? '') + (HEX_BYTE[(v >>> 16) & 255] ?? '') + (HEX_BYTE[(v >>> 8) & 255] ?? '') + (HEX_BYTE[v & 255] ?? '');
}

function hex4(v: number): string {
  return (HEX_BYTE[(v >>> 8) & 255] ?? '') + (HEX_BYTE[v & 255] ?? '');
}

/** A version-4-shaped UUID whose first 12 hex digits are `prefix48`; the rest comes from (key, packed). */
export function formatEventUuid(prefix48: number, key: number, packed: number): string {
  const high = Math.floor(prefix48 / 0x10000);
  const a = hash4(key, 0x51, Math.floor(packed / HALF), packed % HALF);
  const b = mix32(a ^ 0x5bd1e995);
  const c = mix32(b ^ 0x27d4eb2f);
  // Version nibble 4 and variant bits 10xx sit where RFC 4122 puts them.
  const third = 0x4000 | (a & 0x0fff);
  const fourth = 0x8000 | ((a >>> 16) & 0x3fff);
  return `${hex8(high)}-${hex4(prefix48 - high * 0x10000)}-${hex4(third)}-${hex4(fourth)}-${hex8(b)}${hex4(c)}`;
}

/** The 48-bit prefix of an event UUID, or undefined when the string is not one of ours. */
export function uuidPrefix48(id: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-/.test(id)) return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const INDEX_SPACE = 36 ** 5;

/**
 * A Duo-style object id: two-letter prefix and 18 upper-case letters or digits. The last five
 * characters are an affine permutation of `index`, so ids of one kind never collide.
 */
export function duoObjectId(prefix: string, key: number, index: number): string {
  const rng = new Rng(hash3(key, 0x1d, index));
  let out = prefix;
  for (let i = 0; i < 13; i++) out += ALNUM[rng.int(36)];
  let multiplier = (hash3(key, 0x1e, 0) % INDEX_SPACE) | 1;
  if (multiplier % 3 === 0) multiplier += 2;
  const offset = hash3(key, 0x1f, 0) % INDEX_SPACE;
  let scrambled = (multiplier * index + offset) % INDEX_SPACE;
  let tail = '';
  for (let i = 0; i < 5; i++) {
    tail = (ALNUM[scrambled % 36] ?? '0') + tail;
    scrambled = Math.floor(scrambled / 36);
  }
  return out + tail;
}

/** A random-looking Duo id (not guaranteed unique), for things like phone or endpoint keys. */
export function randomDuoId(prefix: string, rng: Rng): string {
  let out = prefix;
  for (let i = 0; i < 18; i++) out += ALNUM[rng.int(36)];
  return out;
}
