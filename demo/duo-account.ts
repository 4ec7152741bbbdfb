import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { AccountSpec } from '../simulator/server.js';
import type { DemoOptions } from './options.js';

const keysSchema = z.object({ integrationKey: z.string(), secretKey: z.string(), apiHost: z.string() });
export type DemoDuoKeys = z.infer<typeof keysSchema>;

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const chars = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

/**
 * The demo Duo account's keys, generated once into the data directory: a second demo run then
 * reconnects the same account (same keys and API host) and resumes instead of starting over.
 */
export function demoDuoKeys(dataDir: string): DemoDuoKeys {
  const file = join(dataDir, 'demo-duo-account.json');
  if (existsSync(file)) {
    const parsed = keysSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  }
  const keys = {
    integrationKey: `DI${chars(ALNUM, 18)}`,
    secretKey: chars(`${ALNUM}abcdefghijklmnopqrstuvwxyz`, 40),
    apiHost: `api-${randomBytes(4).toString('hex')}.duosecurity.com`,
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

/** The simulated account: a fixed seed, so every run serves the same people and applications. */
export function demoAccountSpec(keys: DemoDuoKeys, options: DemoOptions): AccountSpec {
  return {
    ...keys,
    dataset: {
      seed: 2026,
      users: options.users,
      groups: options.groups,
      authEvents: options.events,
      days: options.days,
      liveEventsPerMinute: 6,
    },
  };
}
