import type { Rng } from '../prng.js';
import { browsers, operatingSystems, places, type Place } from '../vocabulary.js';

/** Duo's v2 log style: microseconds and an explicit +00:00 offset. */
export function isoMicros(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000+00:00`;
}

/** The administrator log style: whole seconds, +00:00. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

export function randomUuid(rng: Rng): string {
  const h = rng.hex(32);
  const variant = (8 | rng.int(4)).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function pickPlace(rng: Rng): Place {
  return rng.pick(places);
}

export function publicIp(rng: Rng, place: Place): string {
  return `${place.ipPrefix}.${rng.int(256)}.${1 + rng.int(254)}`;
}

export interface Client {
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
}

export function pickClient(rng: Rng): Client {
  const b = rng.pick(browsers);
  const o = rng.pick(operatingSystems);
  return { browser: b.browser, browserVersion: rng.pick(b.versions), os: o.os, osVersion: rng.pick(o.versions) };
}

/** Python's json.dumps spacing, which is what Duo's JSON-in-a-string fields look like. */
export function pythonJson(fields: Record<string, string | number | boolean | null>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{${parts.join(', ')}}`;
}
