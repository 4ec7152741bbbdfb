import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { openSecret, sealSecret, webhookSecretContext, type EncryptionKeyring } from '../db/credentials.js';
import { requireIntegration, setWebhook, type IntegrationRow } from '../db/integrations.js';
import { AppError } from '../errors/app-error.js';

/**
 * Where a tenant's webhook events go and how they are signed: the tenant's own receiver and secret
 * (set with PUT or PATCH …/integrations/duo, the secret sealed like the Duo secret and never
 * returned), else NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET.
 */

export interface WebhookInput {
  /** null: back to NOTIFY_WEBHOOK_URL. */
  url?: string | null | undefined;
  /** null: back to NOTIFY_WEBHOOK_SECRET. */
  secret?: string | null | undefined;
}

export interface WebhookTarget {
  url: string;
  /** Absent only for the global receiver without NOTIFY_WEBHOOK_SECRET: deliveries are then unsigned. */
  secret?: string;
}

/**
 * Stores the tenant's webhook settings (call inside the request's transaction). A receiver of the
 * tenant's own is always signed: without a secret (the tenant's or the global one) it is refused.
 */
export async function applyWebhookSettings(
  db: Queryable,
  deps: { keyring: EncryptionKeyring; config: Pick<Config, 'NOTIFY_WEBHOOK_SECRET'> },
  tenantId: string,
  input: WebhookInput,
): Promise<void> {
  const current = await requireIntegration(db, tenantId);
  const url = input.url === undefined ? current.webhookUrl : input.url;
  const secretSet = input.secret === undefined ? current.webhookSecretSealed !== null : input.secret !== null;
  if (url !== null && !secretSet && !deps.config.NOTIFY_WEBHOOK_SECRET) {
    const message = 'webhook.secret is required with webhook.url: every delivery to a tenant\'s receiver is signed';
    throw new AppError('VALIDATION_FAILED', message, { details: { issues: [{ location: 'body', path: 'webhook.secret', message }] } });
  }
  await setWebhook(db, tenantId, {
    ...(input.url !== undefined ? { webhookUrl: input.url } : {}),
    ...(input.secret !== undefined
      ? { webhookSecretSealed: input.secret === null ? null : sealSecret(deps.keyring, input.secret, webhookSecretContext(tenantId)) }
      : {}),
  });
}

/** Where the tenant's next event goes, with the secret unsealed; undefined when no receiver is configured. */
export function webhookTarget(
  deps: { keyring: EncryptionKeyring; config: Pick<Config, 'NOTIFY_WEBHOOK_URL' | 'NOTIFY_WEBHOOK_SECRET'> },
  row: Pick<IntegrationRow, 'tenantId' | 'webhookUrl' | 'webhookSecretSealed'> | undefined,
): WebhookTarget | undefined {
  const url = row?.webhookUrl ?? deps.config.NOTIFY_WEBHOOK_URL;
  if (!url) return undefined;
  const secret = row?.webhookSecretSealed
    ? openSecret(deps.keyring, row.webhookSecretSealed, webhookSecretContext(row.tenantId))
    : deps.config.NOTIFY_WEBHOOK_SECRET;
  return secret ? { url, secret } : { url };
}

/** What the status document says about the tenant's webhook: never the secret, only whether one is set. */
export interface WebhookSummary {
  url: string | null;
  source: 'tenant' | 'global' | 'none';
  secretSet: boolean;
  signed: boolean;
}

export function webhookSummary(
  config: Pick<Config, 'NOTIFY_WEBHOOK_URL' | 'NOTIFY_WEBHOOK_SECRET'>,
  row: Pick<IntegrationRow, 'webhookUrl' | 'webhookSecretSealed'>,
): WebhookSummary {
  const source: 'tenant' | 'global' | 'none' = row.webhookUrl ? 'tenant' : config.NOTIFY_WEBHOOK_URL ? 'global' : 'none';
  return {
    url: row.webhookUrl,
    source,
    secretSet: row.webhookSecretSealed !== null,
    signed: source !== 'none' && (row.webhookSecretSealed !== null || config.NOTIFY_WEBHOOK_SECRET !== undefined),
  };
}
