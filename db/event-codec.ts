import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AUTH_EVENT_DICTIONARY_V1 } from './auth-event-dictionary.js';

/**
 * How an authentication event's raw JSON is stored in duo_auth_events.raw: one codec byte, then the
 * body. Compressed one event at a time, so any single event reads back alone; with a preset
 * dictionary of Duo's field names and values, because ~1 KB of JSON compressed alone keeps most of
 * its size (measured in db/README.md). Each codec is frozen once rows use it; a new dictionary gets
 * a new codec byte and the old ones keep decoding.
 */
const codecs = {
  /** Duo's JSON as UTF-8 text, uncompressed: rows copied from the table before compression existed. */
  json: 0,
  /** Deflate (raw) with dictionary v1 of the event without its leading `txid`, which the row's column holds. */
  deflateV1WithoutTxid: 1,
  /** Deflate (raw) with dictionary v1 of the whole event (txid not its first key). */
  deflateV1: 2,
} as const;

/** Level 6 compresses 8% better than level 1 at about the same time per event (per-call overhead dominates). */
const LEVEL = 6;

/** Encodes Duo's event as received (`raw`, the parsed JSON object) for the row whose txid is `txid`. */
export function encodeAuthEvent(raw: unknown, txid: string): Buffer {
  let codec: number = codecs.deflateV1;
  let body: unknown = raw;
  if (isObject(raw) && Object.keys(raw)[0] === 'txid' && raw.txid === txid) {
    const { txid: _dropped, ...rest } = raw;
    codec = codecs.deflateV1WithoutTxid;
    body = rest;
  }
  const compressed = deflateRawSync(JSON.stringify(body), { level: LEVEL, dictionary: AUTH_EVENT_DICTIONARY_V1 });
  const stored = Buffer.allocUnsafe(compressed.length + 1);
  stored[0] = codec;
  compressed.copy(stored, 1);
  return stored;
}

/** Duo's event as it was received, from a stored row. */
export function decodeAuthEvent(stored: Buffer, txid: string): Record<string, unknown> {
  const body = stored.subarray(1);
  switch (stored[0]) {
    case codecs.json:
      return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    case codecs.deflateV1WithoutTxid:
      return { txid, ...(JSON.parse(inflateRawSync(body, { dictionary: AUTH_EVENT_DICTIONARY_V1 }).toString('utf8')) as Record<string, unknown>) };
    case codecs.deflateV1:
      return JSON.parse(inflateRawSync(body, { dictionary: AUTH_EVENT_DICTIONARY_V1 }).toString('utf8')) as Record<string, unknown>;
    default:
      throw new Error(`stored event ${txid} has unknown codec ${String(stored[0])}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
