import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { apiKeys, type ApiKeyScope } from './schema.js';

/**
 * API keys: `dus_<id>_<43 base64url characters>` (32 random bytes). The id inside the secret finds the
 * row; only the SHA-256 of the whole secret is stored and compared, so a database dump yields no key.
 */
const SECRET_PATTERN = /^dus_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** How often a key's last-used time may be written: a busy key must not write on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** The public part of a key: what listing and creating return (never the secret or its hash). */
export interface ApiKeyMetadata {
  keyId: string;
  name: string;
  scopes: ApiKeyScope[];
  tenantId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewApiKey {
  name: string;
  scopes: ApiKeyScope[];
  tenantId?: string | null | undefined;
  expiresAt?: Date | null | undefined;
}

const hashSecret = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Whether a bearer token has the shape of one of our keys (the bootstrap token never has). */
export function looksLikeApiKey(token: string): boolean {
  return SECRET_PATTERN.test(token);
}

type ApiKeyRow = typeof apiKeys.$inferSelect;

function metadata(row: ApiKeyRow): ApiKeyMetadata {
  return {
    keyId: row.id,
    name: row.name,
    scopes: row.scopes,
    tenantId: row.tenantId,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** Stores a new key and returns its secret, the only time it exists outside the caller's hands. */
export async function createApiKey(db: Queryable, input: NewApiKey): Promise<{ key: ApiKeyMetadata; secret: string }> {
  const id = randomBytes(8).toString('hex');
  const secret = `dus_${id}_${randomBytes(32).toString('base64url')}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ id, name: input.name, secretHash: hashSecret(secret), scopes: [...new Set(input.scopes)], tenantId: input.tenantId ?? null, expiresAt: input.expiresAt ?? null })
    .returning();
  if (!row) throw new Error('api key insert returned no row');
  return { key: metadata(row), secret };
}

/** Every key, revoked and expired ones included (oldest first), for the admin listing. */
export async function listApiKeys(db: Queryable): Promise<ApiKeyMetadata[]> {
  const rows = await db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  return rows.map(metadata);
}

/** Revokes a key (idempotent: the first revocation time stays). Undefined when no such key. */
export async function revokeApiKey(db: Queryable, keyId: string, now: Date = new Date()): Promise<ApiKeyMetadata | undefined> {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${now.toISOString()}::timestamptz)` })
    .where(eq(apiKeys.id, keyId))
    .returning();
  return row ? metadata(row) : undefined;
}

export async function getApiKey(db: Queryable, keyId: string): Promise<ApiKeyMetadata | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, keyId));
  return row ? metadata(row) : undefined;
}

/**
 * The key a secret belongs to, if it is valid now: known, hash equal (constant-time), not revoked,
 * not expired. Anything else is undefined, without saying which: every refusal looks the same.
 */
export async function findValidApiKey(db: Queryable, secret: string, nowMs: number): Promise<ApiKeyMetadata | undefined> {
  const match = SECRET_PATTERN.exec(secret);
  if (!match?.[1]) return undefined;
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, match[1]));
  if (!row) return undefined;
  const equal = timingSafeEqual(Buffer.from(hashSecret(secret), 'hex'), Buffer.from(row.secretHash, 'hex'));
  if (!equal || row.revokedAt !== null) return undefined;
  if (row.expiresAt !== null && row.expiresAt.getTime() <= nowMs) return undefined;
  return metadata(row);
}

/** Records a use, unless one was recorded within the last minute (the condition makes racing writers harmless). */
export async function touchApiKey(db: Queryable, key: Pick<ApiKeyMetadata, 'keyId' | 'lastUsedAt'>, nowMs: number): Promise<void> {
  if (key.lastUsedAt !== null && nowMs - Date.parse(key.lastUsedAt) < LAST_USED_RESOLUTION_MS) return;
  const now = new Date(nowMs);
  const stale = new Date(nowMs - LAST_USED_RESOLUTION_MS);
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, key.keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, stale))));
}
