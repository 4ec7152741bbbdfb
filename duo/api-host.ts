import { z } from 'zod';
import { DuoInvalidApiHostError } from './errors.js';

/**
 * The one rule for Duo API hosts: `api-<alnum>.duosecurity.com` or `api-<alnum>.duofederal.com`,
 * case-insensitive, nothing else (no scheme, port, path, user info, IP literal or extra label).
 * Anchored on both ends, which is what blocks SSRF through a tenant-entered host.
 */
export const API_HOST_PATTERN = /^api-[a-z0-9]+\.(duosecurity|duofederal)\.com$/i;

const apiHostMessage = 'apiHost must be a Duo API host such as api-xxxxxxxx.duosecurity.com (no scheme, port or path)';

/** Validates a Duo API host and lower-cases it. */
export const apiHostSchema = z
  .string({ error: apiHostMessage })
  .max(253, apiHostMessage)
  .regex(API_HOST_PATTERN, apiHostMessage)
  .transform((host) => host.toLowerCase());

/** Returns the lower-cased host, or throws DuoInvalidApiHostError; call before any network I/O. */
export function assertApiHost(host: unknown): string {
  const result = apiHostSchema.safeParse(host);
  if (!result.success) throw new DuoInvalidApiHostError(host);
  return result.data;
}
