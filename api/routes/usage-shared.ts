import type { Database } from '../../db/client.js';
import type { CsvExportSlots } from './usage-csv.js';
import { errorResponseSchema } from '../schemas/integration.js';

export interface UsageDeps {
  db: Database;
  /** Clock for "now − N days"; tests pin it. */
  now?: () => number;
  /** Concurrent CSV exports per key. */
  csvExports: CsvExportSlots;
}

export interface UsageRoutesOptions {
  deps: UsageDeps;
}

const errorReply = (description: string) => ({ description, content: { 'application/json': { schema: errorResponseSchema } } });

/** The error answers every usage route documents. */
export const usageErrors = {
  400: errorReply('Invalid parameter (validation_failed; details.issues names each parameter, e.g. status or cursor)'),
  401: errorReply('Missing, wrong, expired or revoked API key (unauthorized)'),
  403: errorReply('The key lacks the usage:read scope (forbidden)'),
  404: errorReply('No Duo integration for this tenant (tenant_not_found)'),
  429: errorReply('Too many requests for this key (rate_limited, with Retry-After)'),
  500: errorReply('Internal error (internal_error); details.requestId identifies the logged cause'),
};
