/**
 * Duo rate-limits per account and per kind of endpoint: log endpoints allow a request or two per
 * minute, object lists far more. Budgets are therefore kept per endpoint class.
 */
export type EndpointClass = 'log' | 'object';

/** What one HTTP attempt came to, as far as the budget cares. */
export type RequestOutcome = 'ok' | 'rate_limited' | 'failed';

/**
 * A rate budget the client consults around every HTTP attempt (retries included): `acquire`
 * before sending (may wait; must honour the signal), `report` once the attempt is over. Kept
 * apart from retrying so one account's budget can be shared across workers.
 */
export interface RequestBudget {
  acquire(endpointClass: EndpointClass, signal?: AbortSignal): Promise<void>;
  report(endpointClass: EndpointClass, outcome: RequestOutcome): void | Promise<void>;
}

/** A budget that never waits: for the command-line check and tests. */
export const unlimitedBudget: RequestBudget = {
  acquire: async () => {},
  report: () => {},
};
