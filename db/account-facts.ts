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
