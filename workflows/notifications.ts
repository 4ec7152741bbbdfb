/** Webhook events: small, typed, no secrets, no user data. Node-free (workflows build them). */
export type NotificationType =
  | 'initial_sync.completed'
  | 'initial_sync.failed'
  | 'integration.needs_attention'
  | 'sync.failing'
  | 'sync.recovered'
  | 'retention.at_risk';

export interface Notification {
  type: NotificationType;
  tenantId: string;
  /** ISO instant the event happened. */
  at: string;
  details: Record<string, string | number | boolean | null>;
}
