import type { Database } from '../../db/client.js';
import { errorResponseSchema } from '../schemas/integration.js';

export interface UsageDeps {
  db: Database;
  /** Clock for "now − N days"; tests pin it. */
  now?: () => number;
}

export interface UsageRoutesOptions {
  deps: UsageDeps;
}

const errorReply = (description: string) => ({ description, content: { 'application/json': { schema: errorResponseSchema } } });

/** The error answers every usage route documents. */
export const usageErrors = {
  400: errorReply('Invalid parameter (validation_failed; details.issues names each parameter, e.g. status or cursor)'),
  401: errorReply('Missing or wrong bearer token (unauthorized)'),
  404: errorReply('No Duo integration for this tenant (tenant_not_found)'),
  500: errorReply('Internal error (internal_error); details.requestId identifies the logged cause'),
};
