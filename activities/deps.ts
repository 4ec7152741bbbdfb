import type { Client } from '@temporalio/client';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import type { EncryptionKeyring } from '../db/credentials.js';

/** What activities need from the process; built once by the worker (and by tests). */
export interface ActivityDeps {
  db: Database;
  config: Config;
  keyring: EncryptionKeyring;
  /** For activities that manage schedules; absent where none are needed. */
  temporal?: Client;
}
