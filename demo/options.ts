import { parseArgs } from 'node:util';

/** `npm run demo -- [options]`: the size of the demo Duo account and whether to stay running. */
export interface DemoOptions {
  users: number;
  groups: number;
  days: number;
  events: number;
  tenant: string;
  exitWhenDone: boolean;
}

export const DEMO_HELP = `duo-usage-sync demo: the local stack (as npm start) plus a simulated Duo account, synced end to end

Usage: npm run demo -- [options]

  --users N          users in the demo Duo account (default 3000)
  --groups N         groups (default 20)
  --days N           days of authentication history, 1-179 (default 90)
  --events N         authentication events over those days (default 60000)
  --tenant ID        tenant id to connect (default demo)
  --exit-when-done   stop everything once the summary is printed (for CI); default: run until Ctrl-C
  --help

Environment as for npm start (DATABASE_URL unset = embedded PGlite, TEMPORAL_ADDRESS unset = local
Temporal dev server, both persisted under ./.data).
`;

export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DemoUsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses argv (without node and script); throws DemoUsageError naming the bad option. */
export function parseDemoOptions(argv: string[]): DemoOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        users: { type: 'string' },
        groups: { type: 'string' },
        days: { type: 'string' },
        events: { type: 'string' },
        tenant: { type: 'string' },
        'exit-when-done': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new DemoUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';
  const tenant = values.tenant ?? 'demo';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(tenant)) throw new DemoUsageError('--tenant must match ^[A-Za-z0-9_-]{1,64}$');
  return {
    users: integer(values.users, 'users', 3000, 1, 1_000_000),
    groups: integer(values.groups, 'groups', 20, 0, 100_000),
    days: integer(values.days, 'days', 90, 1, 179),
    events: integer(values.events, 'events', 60_000, 0, 50_000_000),
    tenant,
    exitWhenDone: values['exit-when-done'] ?? false,
  };
}
