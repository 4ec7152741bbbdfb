import { loadConfig, type Config } from '../../config/config.js';
import { isolatedEnv } from '../../local/isolated-env.js';

/** A literal env for one test file: unique task queue, generous Duo budgets, a short backfill. */
export const testEnv = isolatedEnv;

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig(testEnv(overrides));
}
