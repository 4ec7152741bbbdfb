import { hash2, hash3, Rng } from './prng.js';
import type { FaultSpec } from './spec.js';

export const faultTypes = ['serverError', 'rateLimit', 'reset', 'slow', 'truncated', 'malformed', 'schemaDrift', 'typeDrift', 'stuckCursor'] as const;
export type FaultType = (typeof faultTypes)[number];

/** What to do to one request; decided before it is handled so the handler can shape its answer. */
export interface FaultPlan {
  /** Ends the request before the handler: destroy the socket, answer 5xx, or answer 429. */
  abort: 'reset' | 'serverError' | 'rateLimit' | undefined;
  slowMs: number;
  /** Spoils a successful body: cut short, or not JSON at all. */
  body: 'truncated' | 'malformed' | undefined;
  schemaDrift: boolean;
  /** Breaks a required field (see {@link breakRequiredField}). */
  typeDrift: boolean;
  stuckCursor: boolean;
  /** Draws for the details (which status, where to cut, which fields to null). */
  rng: Rng;
}

const DEFAULT_SLOW_MS = 1500;
const DEFAULT_BURST = 3;

/**
 * Seeded fault decisions: request n of an account always gets the same plan for the same spec,
 * so a failing test replays. Reconfiguring restarts the sequence.
 */
export class FaultInjector {
  private sequence = 0;
  private burstLeft = 0;
  private spec: FaultSpec;
  private seed: number;

  constructor(
    spec: FaultSpec,
    private readonly fallbackSeed: number,
  ) {
    this.spec = spec;
    this.seed = hash2(spec.seed ?? fallbackSeed, 0x6661);
  }

  get current(): FaultSpec {
    return this.spec;
  }

  configure(spec: FaultSpec): void {
    this.spec = spec;
    this.seed = hash2(spec.seed ?? this.fallbackSeed, 0x6661);
    this.sequence = 0;
    this.burstLeft = 0;
  }

  plan(): FaultPlan {
    const s = this.spec;
    const sequence = this.sequence++;
    const draw = (n: number): number => hash3(this.seed, sequence, n) / 4294967296;
    const rng = new Rng(hash3(this.seed, sequence, 0xff));
    let abort: FaultPlan['abort'];
    if (draw(1) < (s.resetRate ?? 0)) abort = 'reset';
    else if (draw(2) < (s.serverErrorRate ?? 0)) abort = 'serverError';
    else if (this.burstLeft > 0) {
      this.burstLeft--;
      abort = 'rateLimit';
    } else if (draw(3) < (s.rateLimitRate ?? 0)) {
      // A burst: this request and up to rateLimitBurst - 1 following ones.
      this.burstLeft = Math.floor(draw(4) * (s.rateLimitBurst ?? DEFAULT_BURST));
      abort = 'rateLimit';
    }
    const truncated = draw(5) < (s.truncatedRate ?? 0);
    const malformed = draw(6) < (s.malformedRate ?? 0);
    return {
      abort,
      slowMs: draw(7) < (s.slowRate ?? 0) ? s.slowMs ?? DEFAULT_SLOW_MS : 0,
      body: truncated ? 'truncated' : malformed ? 'malformed' : undefined,
      schemaDrift: draw(8) < (s.schemaDriftRate ?? 0),
      stuckCursor: draw(9) < (s.stuckCursorRate ?? 0),
      typeDrift: draw(10) < (s.typeDriftRate ?? 0),
      rng,
    };
  }
}

/** A plan that injects nothing (unauthenticated requests, control API). */
export function noFaults(): FaultPlan {
  return { abort: undefined, slowMs: 0, body: undefined, schemaDrift: false, typeDrift: false, stuckCursor: false, rng: new Rng(0) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const last = parts.pop();
  let node: unknown = target;
  for (const part of parts) node = isRecord(node) ? node[part] : undefined;
  if (last !== undefined && isRecord(node) && last in node) node[last] = value;
}

/**
 * Schema drift on list items: new fields Duo may add at any time, and nulls in fields that Duo
 * documents or is seen to send as null. Every item gets the new fields; each nullable field is
 * nulled on roughly half the items.
 */
export function driftItems(items: Record<string, unknown>[], nullablePaths: readonly string[], rng: Rng): void {
  for (const item of items) {
    item.sim_added_field = { note: 'schema drift', version: rng.int(100) };
    item.sim_added_flag = rng.chance(0.5);
    for (const path of nullablePaths) if (rng.chance(0.5)) setPath(item, path, null);
  }
}

/**
 * Drift that breaks the contract: the first item's required `field` arrives as the wrong JSON type
 * (a string becomes a number, a number a string of its digits). Returns false when the page has no
 * item, so the handler can break the list itself instead.
 */
export function breakRequiredField(items: Record<string, unknown>[], field: string, rng: Rng): boolean {
  const first = items[0];
  if (!first) return false;
  const value = first[field];
  first[field] = typeof value === 'number' ? String(value) : 1 + rng.int(1_000_000_000);
  return true;
}
