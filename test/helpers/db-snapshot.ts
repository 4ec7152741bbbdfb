import type postgres from 'postgres';

/**
 * Row count and checksum of every base table, in one query: comparing two snapshots proves a
 * request changed nothing, and a failing comparison names the table that changed.
 */
export async function snapshotTables(sql: postgres.Sql, options: { except?: string[] } = {}): Promise<Record<string, string>> {
  const tables = await sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema') order by 1, 2`;
  const query = tables
    .filter(({ name }) => !(options.except ?? []).includes(name))
    .map(
      ({ schema, name }) =>
        `select '${schema}.${name}' as t, count(*) || ':' || coalesce(md5(string_agg(x::text, ',' order by x::text)), '') as c from "${schema}"."${name}" x`,
    )
    .join(' union all ');
  const rows = await sql.unsafe<{ t: string; c: string }[]>(query);
  return Object.fromEntries(rows.map((row) => [row.t, row.c]));
}
