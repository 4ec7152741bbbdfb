import { randomBytes, randomInt } from 'node:crypto';
import type { AccountSpec } from './spec.js';

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SECRET_CHARS = `${ALNUM}abcdefghijklmnopqrstuvwxyz`;

function randomChars(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A valid account with random keys and host and a small dataset (25 users, ~300 auth events in 7 days). */
export function makeAccount(overrides: Partial<AccountSpec> = {}): AccountSpec {
  return {
    integrationKey: `DI${randomChars(ALNUM, 18)}`,
    secretKey: randomChars(SECRET_CHARS, 40),
    apiHost: `api-${randomBytes(4).toString('hex')}.duosecurity.com`,
    dataset: { seed: randomInt(2 ** 31), users: 25, groups: 5, authEvents: 300, days: 7 },
    ...overrides,
  };
}
