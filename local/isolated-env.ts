import { randomBytes } from 'node:crypto';

/**
 * A literal env for a throwaway stack (one test file, the chaos run): fresh secrets, a task queue of
 * its own, generous Duo budgets, a short backfill.
 */
export function isolatedEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    API_TOKEN: `test-token-${randomBytes(8).toString('hex')}`,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ENCRYPTION_KEY_ID: 'test1',
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(6).toString('hex')}`,
    DUO_LOG_REQUESTS_PER_MINUTE: '6000',
    DUO_OBJECT_REQUESTS_PER_MINUTE: '6000',
    DUO_REQUEST_TIMEOUT_MS: '10000',
    BACKFILL_DAYS: '10',
    // Scheduled runs would start at any moment of a test (intervals align to the epoch); tests trigger
    // incremental runs explicitly instead.
    SYNC_INTERVAL_MINUTES: '1440',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
