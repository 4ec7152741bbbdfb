import { SimAccount } from './account.js';
import type { AccountKeys } from './credentials.js';
import type { AccountSpec } from './spec.js';

export class DuplicateAccountError extends Error {
  constructor(readonly integrationKey: string) {
    super(`an account with integration key ${integrationKey} already exists`);
    this.name = 'DuplicateAccountError';
  }
}

/** The accounts a simulator serves, keyed by integration key. */
export class AccountRegistry {
  private readonly accounts = new Map<string, SimAccount>();
  private readonly initialKeys: ReadonlySet<string>;

  constructor(
    initial: readonly AccountSpec[],
    private readonly now: () => number,
  ) {
    for (const spec of initial) this.add(spec);
    this.initialKeys = new Set(initial.map((spec) => spec.integrationKey));
  }

  add(spec: AccountSpec): SimAccount {
    if (this.accounts.has(spec.integrationKey)) throw new DuplicateAccountError(spec.integrationKey);
    const account = new SimAccount(spec, this.now());
    this.accounts.set(spec.integrationKey, account);
    return account;
  }

  get(integrationKey: string): SimAccount | undefined {
    return this.accounts.get(integrationKey);
  }

  list(): SimAccount[] {
    return [...this.accounts.values()];
  }

  /** Keys the signature check may use; none for unknown or revoked integration keys. */
  keysFor(integrationKey: string): AccountKeys | undefined {
    const account = this.accounts.get(integrationKey);
    if (!account || account.keysRevoked) return undefined;
    return { secretKey: account.spec.secretKey, apiHost: account.spec.apiHost };
  }

  /** Back to the accounts the simulator started with, each as its spec describes. */
  reset(): void {
    for (const key of [...this.accounts.keys()]) if (!this.initialKeys.has(key)) this.accounts.delete(key);
    for (const account of this.accounts.values()) account.reset(this.now());
  }
}
