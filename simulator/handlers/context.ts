import type { SimAccount } from '../account.js';
import type { DuoFailure } from '../duo-errors.js';
import type { FaultPlan, FaultType } from '../faults.js';
import type { Param } from '../signature.js';

/** Decoded query parameters in wire order; repeated keys keep every value. */
export class Query {
  constructor(private readonly params: readonly Param[]) {}

  get(name: string): string | undefined {
    return this.params.find(([k]) => k === name)?.[1];
  }

  getAll(name: string): string[] {
    return this.params.filter(([k]) => k === name).map(([, v]) => v);
  }
}

export interface HandlerContext {
  account: SimAccount;
  query: Query;
  nowMs: number;
  plan: FaultPlan;
}

export type HandlerResult =
  | { ok: true; body: Record<string, unknown>; applied: FaultType[] }
  | { ok: false; failure: DuoFailure };

export type Handler = (context: HandlerContext) => HandlerResult;

/** Parses Duo's `limit`: a positive integer, clamped to the endpoint's maximum ("max value is used"). */
export function parseLimit(raw: string | undefined, fallback: number, max: number): number | undefined {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value < 1 ? undefined : Math.min(value, max);
}
