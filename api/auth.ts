import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { findValidApiKey, touchApiKey } from '../db/api-keys.js';
import type { Database } from '../db/client.js';
import type { ApiKeyScope } from '../db/schema.js';
import { recordAudit } from '../db/audit-log.js';
import { TenantNotFoundError } from '../errors/integration-errors.js';
import { HttpRefusal } from './http-errors.js';

/** Sent with every 401 so clients know which scheme to use (RFC 6750). */
export const WWW_AUTHENTICATE = 'Bearer realm="duo-usage-sync"';

/** Who sends the request: a stored API key, or the bootstrap API_TOKEN (an admin key with id `bootstrap`). */
export interface Principal {
  keyId: string;
  name: string;
  scopes: ApiKeyScope[];
  tenantId: string | null;
}

/**
 * What a route requires, declared in its options (`config: { scope, audit }`), so a new route states
 * both where it is defined:
 * - `scope`: the scope it needs; `authenticated` for any valid key. A route declaring nothing needs
 *   `admin` (fail closed).
 * - `audit`: the action its audit row records (a function when it depends on the request, e.g.
 *   disconnect vs purge). Every state-changing route declares one.
 */
export interface RouteAccess {
  scope?: ApiKeyScope | 'authenticated';
  audit?: string | ((request: FastifyRequest) => string);
}

declare module 'fastify' {
  // Fastify's declaration-merging points: route options' `config`, and what a request carries.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging needs an interface, not a type alias
  interface FastifyContextConfig extends RouteAccess {}
  interface FastifyRequest {
    /** Set once the request passed authentication, its tenant binding and its scope. */
    principal?: Principal;
    /** Tenant and note of the audit row when the path has no tenant (key creation, revocation) or there is a note. */
    audit?: { tenantId?: string | null; note?: string | null };
  }
}

export const BOOTSTRAP_KEY_ID = 'bootstrap';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Builds the check of the bootstrap token. Both sides are hashed first so the comparison is
 * constant-time and fixed-length: neither the token's content nor its length leaks through timing.
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

/** The token of a `Bearer` Authorization header, or undefined for any other shape. The scheme is case-insensitive (RFC 7235), the token is not. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/** `admin` implies every scope. */
export function hasScope(principal: Pick<Principal, 'scopes'>, scope: ApiKeyScope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

export const unauthorized = () =>
  new HttpRefusal(401, 'UNAUTHORIZED', 'Send Authorization: Bearer <API key>', {}, { 'www-authenticate': WWW_AUTHENTICATE });

export interface Authenticator {
  /** The principal of a valid token (bootstrap or stored, not revoked, not expired), else undefined. */
  identify(authorization: string | undefined): Promise<Principal | undefined>;
  /** onRequest: authenticate, apply the tenant binding and the route's scope, then record the use. Throws refusals. */
  authorize(request: FastifyRequest): Promise<void>;
  /** onSend: the audit row of a state-changing route, once its outcome is known. */
  audit(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export function createAuthenticator(deps: { db: Database; apiToken: string; now?: () => number }): Authenticator {
  const isBootstrap = createBearerCheck(deps.apiToken);
  const now = () => deps.now?.() ?? Date.now();

  async function lookUp(authorization: string | undefined): Promise<{ principal: Principal; lastUsedAt: string | null } | undefined> {
    if (isBootstrap(authorization)) return { principal: { keyId: BOOTSTRAP_KEY_ID, name: 'API_TOKEN', scopes: ['admin'], tenantId: null }, lastUsedAt: null };
    const token = bearerToken(authorization);
    if (token === undefined) return undefined;
    const key = await findValidApiKey(deps.db, token, now());
    if (!key) return undefined;
    return { principal: { keyId: key.keyId, name: key.name, scopes: key.scopes, tenantId: key.tenantId }, lastUsedAt: key.lastUsedAt };
  }

  return {
    identify: async (authorization) => (await lookUp(authorization))?.principal,
    async authorize(request) {
      const found = await lookUp(request.headers.authorization);
      if (!found) throw unauthorized();
      const { principal } = found;
      // A key bound to a tenant meets every other tenant as one that does not exist: the same answer
      // an unknown tenant gets, before its scope is even looked at.
      const params = request.params as { tenantId?: unknown } | undefined;
      const pathTenant = typeof params?.tenantId === 'string' ? params.tenantId : undefined;
      if (principal.tenantId !== null && pathTenant !== undefined && pathTenant !== principal.tenantId) {
        throw new TenantNotFoundError(pathTenant);
      }
      // Unknown paths need only a valid key (they answer 404); a known route without a scope needs admin.
      const declared = request.is404 ? 'authenticated' : (request.routeOptions.config.scope ?? 'admin');
      if (declared !== 'authenticated' && !hasScope(principal, declared)) {
        throw new HttpRefusal(403, 'FORBIDDEN', `This key lacks the scope ${declared}`, { requiredScope: declared });
      }
      request.principal = principal;
      if (principal.keyId !== BOOTSTRAP_KEY_ID) {
        try {
          await touchApiKey(deps.db, { keyId: principal.keyId, lastUsedAt: found.lastUsedAt }, now());
        } catch (error) {
          // A missed last-used time must not refuse a request the key is entitled to.
          request.log.warn({ err: error }, 'api key last-used time not recorded');
        }
      }
    },
    async audit(request, reply) {
      const action = request.is404 ? undefined : request.routeOptions.config.audit;
      const principal = request.principal;
      if (action === undefined || principal === undefined) return;
      const params = request.params as { tenantId?: unknown } | undefined;
      const pathTenant = typeof params?.tenantId === 'string' ? params.tenantId : null;
      try {
        await recordAudit(deps.db, {
          keyId: principal.keyId,
          keyName: principal.name,
          tenantId: request.audit?.tenantId !== undefined ? request.audit.tenantId : pathTenant,
          action: typeof action === 'function' ? action(request) : action,
          statusCode: reply.statusCode,
          requestId: request.id,
          note: request.audit?.note ?? null,
        });
      } catch (error) {
        // The change itself is done; the answer must say so. The log line keeps what the row would have.
        request.log.error({ err: error, action, keyId: principal.keyId, statusCode: reply.statusCode }, 'audit row not written');
      }
    },
  };
}
