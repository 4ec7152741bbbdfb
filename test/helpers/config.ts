import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../config/config.js';

/** A literal env for one test file: unique task queue, generous Duo budgets, a short backfill. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
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

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig(testEnv(overrides));
}

/** The env that reproduces a Config, for a child process (e.g. `npm run worker` under test). */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (name === 'ENCRYPTION_PREVIOUS_KEYS') {
      const keys = value as Config['ENCRYPTION_PREVIOUS_KEYS'];
      if (keys.length > 0) env[name] = keys.map((k) => `${k.id}:${k.key}`).join(',');
      continue;
    }
    env[name] = String(value);
  }
  return env;
}
