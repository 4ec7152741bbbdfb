import { createHash, timingSafeEqual } from 'node:crypto';

/** Sent with every 401 so clients know which scheme to use (RFC 6750). */
export const WWW_AUTHENTICATE = 'Bearer realm="duo-usage-sync"';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Builds the check of `Authorization: Bearer <token>`. Both sides are hashed first so the
 * comparison is constant-time and fixed-length: neither the token's content nor its length leaks
 * through response timing. The scheme is case-insensitive (RFC 7235), the token is not.
 */
export function createBearerCheck(expectedToken: string): (authorization: string | undefined) => boolean {
  if (expectedToken.length === 0) throw new Error('API token must not be empty');
  const expected = digest(expectedToken);
  return (authorization) => {
    const token = bearerToken(authorization);
    // Still compare on a missing token so both paths take the same time.
    const matches = timingSafeEqual(digest(token ?? ''), expected);
    return token !== undefined && matches;
  };
}

/** The token of a `Bearer` Authorization header, or undefined for any other shape. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '');
  return match?.[1];
}
