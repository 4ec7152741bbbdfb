import type postgres from 'postgres';

/**
 * Every figure maintained at ingest (db/auth-events.ts) recomputed with plain SQL over
 * duo_auth_events and compared row by row, missing and extra rows included. Shared by the chaos run
 * (bench/chaos.ts) and the end-to-end tests (test/helpers/sync-harness.ts).
 */
export interface RollupMismatch {
  /** The table (and columns) that disagree with the raw events. */
  table: string;
  rows: number;
  /** A few of the disagreeing rows: key, then stored and recomputed values. */
  samples: string[];
}

interface RollupSpec {
  table: string;
  keys: readonly string[];
  values: readonly string[];
  /** The expected rows; `$1` is the tenant id. Columns: keys then values. */
  raw: string;
  /** The stored rows, when not simply the same columns of `table` for the tenant. */
  stored?: string;
}

/** Authentication events of identified users, as the rollups fold them. */
const identified = `from duo_auth_events where tenant_id = $1 and user_id is not null and user_id <> ''`;
const counts = `count(*) as auth_count, count(*) filter (where result = 'success') as success_count,
  count(*) filter (where result = 'denied') as denied_count, count(*) filter (where result = 'fraud') as fraud_count`;
const day = `(occurred_at at time zone 'UTC')::date`;

const specs: readonly RollupSpec[] = [
  {
    table: 'duo_user_daily_activity',
    keys: ['user_id', 'day'],
    values: ['auth_count', 'success_count', 'denied_count', 'fraud_count', 'last_success_at'],
    raw: `select user_id, ${day} as day, ${counts}, max(occurred_at) filter (where result = 'success') as last_success_at
      ${identified} group by 1, 2`,
  },
  {
    table: 'duo_application_daily_activity',
    keys: ['application_key', 'user_id', 'day'],
    values: ['auth_count', 'success_count', 'denied_count', 'fraud_count', 'last_at'],
    raw: `select application_key, user_id, ${day} as day, ${counts}, max(occurred_at) as last_at
      ${identified} and application_key is not null group by 1, 2, 3`,
  },
  {
    table: 'duo_application_users',
    keys: ['application_key', 'user_id'],
    values: ['last_success_at', 'last_at'],
    raw: `select application_key, user_id, max(occurred_at) filter (where result = 'success') as last_success_at, max(occurred_at) as last_at
      ${identified} and application_key is not null group by 1, 2`,
  },
  {
    table: 'duo_application_daily_totals',
    keys: ['application_key', 'day'],
    values: ['auth_count', 'success_count', 'denied_count', 'fraud_count'],
    raw: `select application_key, ${day} as day, ${counts} ${identified} and application_key is not null group by 1, 2`,
  },
  {
    // Every use counts here, identified user or not; the name is the one of the newest use.
    table: 'duo_applications',
    keys: ['application_key'],
    values: ['name', 'last_used_at'],
    raw: `select application_key, (array_agg(application_name order by occurred_at desc) filter (where application_name is not null))[1] as name,
      max(occurred_at) as last_used_at
      from duo_auth_events where tenant_id = $1 and application_key is not null group by 1`,
  },
  {
    // The latest-time columns on users: last success from the events, activity = the later of it and Duo's last_login.
    table: 'duo_users',
    keys: ['user_id'],
    values: ['last_success_at', 'last_activity_at'],
    raw: `select coalesce(e.user_id, u.user_id) as user_id, e.last_success_at, greatest(e.last_success_at, u.last_login_at) as last_activity_at
      from (select user_id, max(occurred_at) filter (where result = 'success') as last_success_at ${identified} group by 1) e
      full join (select user_id, last_login_at from duo_users where tenant_id = $1) u on u.user_id = e.user_id`,
  },
  {
    // The counters the status document shows, kept at ingest instead of counted.
    table: 'stream_checkpoints',
    keys: ['stream'],
    values: ['event_count', 'oldest_event_at', 'newest_event_at'],
    raw: `select 'auth' as stream, count(*) as event_count, min(occurred_at) as oldest_event_at, max(occurred_at) as newest_event_at
      from duo_auth_events where tenant_id = $1 having count(*) > 0`,
    stored: `select stream, event_count, oldest_event_at, newest_event_at from stream_checkpoints
      where tenant_id = $1 and stream = 'auth' and event_count > 0`,
  },
];

function mismatchQuery(spec: RollupSpec): string {
  const columns = [...spec.keys, ...spec.values];
  const stored = spec.stored ?? `select ${columns.join(', ')} from ${spec.table} where tenant_id = $1`;
  const key = `concat_ws(' ', ${spec.keys.map((k) => `coalesce(r.${k}::text, s.${k}::text)`).join(', ')})`;
  const row = (alias: string) => `row(${spec.values.map((v) => `${alias}.${v}`).join(', ')})`;
  const firstKey = spec.keys[0] ?? '';
  return `
    with raw as (${spec.raw}), stored as (${stored})
    select count(*)::int as n, coalesce((array_agg(d order by d))[1:3], '{}') as samples
    from (
      select ${key} || ': stored ' || case when s.${firstKey} is null then 'none' else ${row('s')}::text end
        || ', from events ' || case when r.${firstKey} is null then 'none' else ${row('r')}::text end as d
      from raw r full join stored s on ${spec.keys.map((k) => `r.${k} = s.${k}`).join(' and ')}
      where r.${firstKey} is null or s.${firstKey} is null or ${row('r')} is distinct from ${row('s')}
    ) m`;
}

/** The tables whose rows disagree with the raw events for the tenant (empty = consistent). */
export async function rollupMismatches(sql: postgres.Sql, tenantId: string): Promise<RollupMismatch[]> {
  const found: RollupMismatch[] = [];
  for (const spec of specs) {
    const [row] = await sql.unsafe<{ n: number; samples: string[] }[]>(mismatchQuery(spec), [tenantId]);
    if (row && row.n > 0) found.push({ table: `${spec.table} (${spec.values.join(', ')})`, rows: row.n, samples: row.samples });
  }
  return found;
}

/** The tables the comparison covers, for reports. */
export const checkedRollupTables = specs.map((spec) => spec.table);
