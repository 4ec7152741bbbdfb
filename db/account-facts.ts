import { eq, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { duoAccountFacts, duoApplicationCatalogue } from './schema.js';

export type AccountFactsRow = typeof duoAccountFacts.$inferSelect;

/** The optional grants as the credential check found them: true, false (403) or null (unknown). */
export interface OptionalGrantsRecord {
  readInformation: boolean | null;
  readApplications: boolean | null;
}

/** The seat figures of Duo's account summary ("Grant read information"). */
export interface AccountSummaryRecord {
  userCount: number;
  adminCount: number;
  integrationCount: number;
  userPendingDeletionCount: number | null;
}

export interface CatalogueApplication {
  applicationKey: string;
  name: string;
  type: string | null;
}

export async function findAccountFacts(db: Queryable, tenantId: string): Promise<AccountFactsRow | undefined> {
  const [row] = await db.select().from(duoAccountFacts).where(eq(duoAccountFacts.tenantId, tenantId));
  return row;
}

/** Records what the credential check said about the optional grants (at connect). */
export async function recordOptionalGrants(db: Queryable, tenantId: string, grants: OptionalGrantsRecord, at: Date): Promise<void> {
  const values = { readInformation: grants.readInformation, readApplications: grants.readApplications, grantsCheckedAt: at };
  await db.insert(duoAccountFacts).values({ tenantId, ...values }).onConflictDoUpdate({
    target: duoAccountFacts.tenantId,
    // An unknown answer (a 429 on the probe) keeps what was known.
    set: {
      readInformation: sql`coalesce(excluded.read_information, ${duoAccountFacts.readInformation})`,
      readApplications: sql`coalesce(excluded.read_applications, ${duoAccountFacts.readApplications})`,
      grantsCheckedAt: at,
    },
  });
}

/**
 * Stores the account summary the roster refresh fetched, or forgets it (`summary` null: the grant was
 * refused since), and records that the grant answered as it did.
 */
export async function storeAccountSummary(db: Queryable, tenantId: string, summary: AccountSummaryRecord | null, at: Date): Promise<void> {
  const values = summary
    ? { ...summary, summaryFetchedAt: at, readInformation: true }
    : { userCount: null, adminCount: null, integrationCount: null, userPendingDeletionCount: null, summaryFetchedAt: null, readInformation: false };
  await db.insert(duoAccountFacts).values({ tenantId, ...values }).onConflictDoUpdate({ target: duoAccountFacts.tenantId, set: values });
}

/**
 * Replaces the tenant's application catalogue with the list just read in full (`null`: the grant was
 * refused since, and the catalogue is forgotten). One transaction is the caller's.
 */
export async function replaceApplicationCatalogue(db: Queryable, tenantId: string, applications: CatalogueApplication[] | null, at: Date): Promise<void> {
  await db.delete(duoApplicationCatalogue).where(eq(duoApplicationCatalogue.tenantId, tenantId));
  if (applications && applications.length > 0) {
    // Duo names each application once; a repeated key (a page boundary moving under us) keeps the last.
    const byKey = new Map(applications.map((a) => [a.applicationKey, a]));
    const rows = [...byKey.values()].map((a) => ({ tenantId, applicationKey: a.applicationKey, name: a.name, type: a.type, fetchedAt: at }));
    for (let i = 0; i < rows.length; i += 1000) await db.insert(duoApplicationCatalogue).values(rows.slice(i, i + 1000));
  }
  const values = applications ? { catalogueFetchedAt: at, readApplications: true } : { catalogueFetchedAt: null, readApplications: false };
  await db.insert(duoAccountFacts).values({ tenantId, ...values }).onConflictDoUpdate({ target: duoAccountFacts.tenantId, set: values });
}

/** How many applications the catalogue holds (for the usage summary). */
export async function countCatalogue(db: Queryable, tenantId: string): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from duo_application_catalogue where tenant_id = ${tenantId}`);
  return row?.n ?? 0;
}

/** Seat figures for the usage summary: Duo's own user count and users pending deletion. */
export interface SeatFigures {
  duoUserCount: number;
  usersPendingDeletion: number | null;
  adminCount: number;
  fetchedAt: string;
}

export async function getSeatFigures(db: Queryable, tenantId: string): Promise<SeatFigures | null> {
  const facts = await findAccountFacts(db, tenantId);
  if (!facts?.summaryFetchedAt || facts.userCount === null || facts.adminCount === null) return null;
  return {
    duoUserCount: facts.userCount,
    usersPendingDeletion: facts.userPendingDeletionCount,
    adminCount: facts.adminCount,
    fetchedAt: facts.summaryFetchedAt.toISOString(),
  };
}

export interface UnusedApplications {
  /** When Duo's applications list was last read in full. */
  fetchedAt: string;
  /** Applications in it. */
  total: number;
  /** Those without an authentication in `days` days (never seen in the logs included), by name. */
  applications: { applicationKey: string; name: string; type: string | null; lastUsedAt: string | null }[];
}

/**
 * Protected applications nobody used within `days` days: the catalogue ("Grant applications") minus
 * what the logs show. Null without a catalogue (the grant missing, or not read yet).
 */
export async function listUnusedApplications(db: Queryable, tenantId: string, days: number, nowMs: number): Promise<UnusedApplications | null> {
  const facts = await findAccountFacts(db, tenantId);
  if (!facts?.catalogueFetchedAt) return null;
  const since = new Date(nowMs - days * 86_400_000).toISOString();
  const rows = await db.execute<{ application_key: string; name: string; type: string | null; last_used_at: Date | string | null; total: number }>(sql`
    select c.application_key, c.name, c.type, p.last_used_at, count(*) over ()::int as total
    from duo_application_catalogue c
    left join duo_applications p on p.tenant_id = c.tenant_id and p.application_key = c.application_key
    where c.tenant_id = ${tenantId}
    order by c.name, c.application_key`);
  const unused = rows.filter((r) => r.last_used_at === null || new Date(r.last_used_at).toISOString() < since);
  return {
    fetchedAt: facts.catalogueFetchedAt.toISOString(),
    total: rows[0]?.total ?? 0,
    applications: unused.map((r) => ({
      applicationKey: r.application_key,
      name: r.name,
      type: r.type,
      lastUsedAt: r.last_used_at === null ? null : new Date(r.last_used_at).toISOString(),
    })),
  };
}
