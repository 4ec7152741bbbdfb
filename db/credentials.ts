import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { AppError } from '../errors/app-error.js';
import type { Queryable } from './client.js';
import { duoIntegrations, encryptionKeyChecks } from './schema.js';

/** The key that seals new secrets, plus older keys still accepted for opening (rotation). */
export interface EncryptionKeyring {
  current: { id: string; key: Buffer };
  previous: Array<{ id: string; key: Buffer }>;
}

export function createKeyring(current: { id: string; key: string }, previous: Array<{ id: string; key: string }> = []): EncryptionKeyring {
  const decode = (k: { id: string; key: string }) => ({ id: k.id, key: Buffer.from(k.key, 'base64') });
  return { current: decode(current), previous: previous.map(decode) };
}

const VERSION = 'v1';

/** Binds a sealed Duo secret to its row: a value copied to another tenant or key does not open. */
export const duoSecretContext = (tenantId: string, integrationKey: string) => `duo-secret:${tenantId}:${integrationKey}`;
/** Binds a sealed webhook signing secret to its tenant. */
export const webhookSecretContext = (tenantId: string) => `webhook-secret:${tenantId}`;
const b64 = (buffer: Buffer) => buffer.toString('base64url');

/**
 * Seals a Duo secret key with AES-256-GCM. The additional data binds the ciphertext to its tenant and
 * integration key, so a sealed value copied onto another row does not open.
 */
export function sealSecret(keyring: EncryptionKeyring, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.current.key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, keyring.current.id, b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.');
}

export function openSecret(keyring: EncryptionKeyring, sealed: string, context: string): string {
  const [version, keyId, iv, tag, ciphertext] = sealed.split('.');
  if (version !== VERSION || !keyId || !iv || !tag || ciphertext === undefined) {
    throw new AppError('ENCRYPTION_KEY_MISMATCH', 'Stored secret has an unknown format');
  }
  const key = [keyring.current, ...keyring.previous].find((k) => k.id === keyId);
  if (!key) {
    throw new AppError('ENCRYPTION_KEY_MISMATCH', `Stored secret was sealed with key id "${keyId}", which this process does not have`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new AppError('ENCRYPTION_KEY_MISMATCH', `Stored secret does not open with key id "${keyId}": wrong ENCRYPTION_KEY?`, { cause });
  }
}

/** Whether a sealed value was sealed with an older key and should be re-sealed. */
export function needsReseal(keyring: EncryptionKeyring, sealed: string): boolean {
  return sealed.split('.')[1] !== keyring.current.id;
}

/**
 * Re-seals a tenant's stored secret under the current key when it was sealed under an older one, so
 * the older key can be removed from ENCRYPTION_PREVIOUS_KEYS once every row has been re-sealed. Only
 * replaces the value it read (a concurrent connect that stored new keys wins). Returns whether it did.
 * Throws ENCRYPTION_KEY_MISMATCH when the stored value does not open with any key of the keyring.
 */
export async function resealIfNeeded(db: Queryable, tenantId: string, keyring: EncryptionKeyring): Promise<boolean> {
  const [row] = await db
    .select({ integrationKey: duoIntegrations.integrationKey, sealed: duoIntegrations.secretKeySealed })
    .from(duoIntegrations)
    .where(eq(duoIntegrations.tenantId, tenantId));
  if (!row?.sealed || row.integrationKey === null || !needsReseal(keyring, row.sealed)) return false;
  const context = duoSecretContext(tenantId, row.integrationKey);
  const resealed = sealSecret(keyring, openSecret(keyring, row.sealed, context), context);
  const updated = await db
    .update(duoIntegrations)
    .set({ secretKeySealed: resealed, encryptionKeyId: keyring.current.id })
    .where(and(eq(duoIntegrations.tenantId, tenantId), eq(duoIntegrations.secretKeySealed, row.sealed)))
    .returning({ tenantId: duoIntegrations.tenantId });
  return updated.length > 0;
}

const checkValue = (key: Buffer) => createHmac('sha256', key).update('duo-usage-sync encryption key check').digest('base64url');

/**
 * Fails fast when ENCRYPTION_KEY differs from the key that earlier used the same key id, instead of
 * sealing new secrets with a key that cannot open the old ones. Records unknown key ids.
 */
export async function verifyKeyring(db: Queryable, keyring: EncryptionKeyring): Promise<void> {
  for (const { id, key } of [keyring.current, ...keyring.previous]) {
    const expected = checkValue(key);
    await db.insert(encryptionKeyChecks).values({ keyId: id, checkValue: expected }).onConflictDoNothing();
    const [row] = await db.select().from(encryptionKeyChecks).where(eq(encryptionKeyChecks.keyId, id));
    if (!row || row.checkValue.length !== expected.length || !timingSafeEqual(Buffer.from(row.checkValue), Buffer.from(expected))) {
      throw new AppError(
        'ENCRYPTION_KEY_MISMATCH',
        `ENCRYPTION_KEY for key id "${id}" is not the key this database was used with; refusing to start (restore the right key, or rotate with a new ENCRYPTION_KEY_ID)`,
      );
    }
  }
}
