import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Database, Queryable } from '../../db/client.js';
import type { UserFilter } from '../../db/usage-user-filter.js';
import { listUserUsage, type UserKeyset, type UserSort, type UserUsage } from '../../db/usage-users.js';

/**
 * How many CSV exports each key streams at once. An export holds a database connection and a
 * transaction for as long as the client reads, so one key opening many could starve the pool.
 */
export class CsvExportSlots {
  private readonly running = new Map<string, number>();

  constructor(readonly perKey: number) {}

  /** Takes a slot for the key and returns its release (idempotent), or undefined when all are taken. */
  acquire(keyId: string): (() => void) | undefined {
    const count = this.running.get(keyId) ?? 0;
    if (count >= this.perKey) return undefined;
    this.running.set(keyId, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(keyId) ?? 1) - 1;
      if (left <= 0) this.running.delete(keyId);
      else this.running.set(keyId, left);
    };
  }
}

/** Rows per query while streaming CSV: small enough to start sending at once, large enough to be few. */
const CSV_PAGE_SIZE = 1000;

/** The CSV form of a user row: one column per JSON field, groups flattened with "; ". */
export const userCsvColumns = [
  'userId',
  'username',
  'realname',
  'email',
  'status',
  'groups',
  'groupIds',
  'enrolled',
  'inRoster',
  'createdAt',
  'lastLogin',
  'lastActivityAt',
  'authCount30d',
  'authCount60d',
  'authCount90d',
  'applications30d',
  'deletedAt',
] as const;

type CsvValue = string | number | boolean | null;

/**
 * One RFC 4180 cell. Names and emails come from the customer's directory; a cell starting with
 * = + - @ (or a tab or carriage return) would run as a formula when the export is opened in a
 * spreadsheet, so such text gets a leading apostrophe (OWASP's CSV-injection advice).
 */
export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function userCsvValues(user: UserUsage): CsvValue[] {
  return [
    user.userId,
    user.username,
    user.realname,
    user.email,
    user.status,
    user.groups.map((g) => g.name).join('; '),
    user.groups.map((g) => g.groupId).join('; '),
    user.enrolled,
    user.inRoster,
    user.createdAt,
    user.lastLogin,
    user.lastActivityAt,
    user.authCounts.d30,
    user.authCounts.d60,
    user.authCounts.d90,
    user.applications30d,
    user.deletedAt,
  ];
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * Whether the client asks for CSV: `text/csv` listed with a q above that of an explicit
 * `application/json`. Wildcards never choose CSV, so curl's and browsers' defaults get JSON.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  let csv = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    const mediaType = type.trim();
    if (mediaType === 'text/csv') csv = Math.max(csv, q);
    else if (mediaType === 'application/json') json = Math.max(json, q);
  }
  return csv > 0 && csv > json;
}

export interface CsvExport {
  tenantId: string;
  filter: UserFilter;
  sort: UserSort;
  limit: number | undefined;
  after: UserKeyset | undefined;
  nowMs: number;
}

/** Header, then the rows page by page: each page is written as soon as Postgres answers it. */
async function* userCsvChunks(db: Queryable, spec: CsvExport): AsyncGenerator<string> {
  yield csvLine(userCsvColumns);
  let remaining = spec.limit ?? Number.POSITIVE_INFINITY;
  let after = spec.after;
  while (remaining > 0) {
    const page = await listUserUsage(db, spec.tenantId, spec.filter, spec.sort, { limit: Math.min(CSV_PAGE_SIZE, remaining), ...(after ? { after } : {}) }, spec.nowMs);
    yield page.users.map((user) => csvLine(userCsvValues(user))).join('');
    remaining -= page.users.length;
    if (!page.next) return;
    after = page.next;
  }
}

/**
 * The route's typed reply only admits the JSON document or a string; a stream bypasses the
 * serializer altogether, so it goes out through the untyped reply.
 */
export function sendCsv(reply: FastifyReply, filename: string, stream: Readable): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(stream);
}

/**
 * Streams the export from one read-only repeatable-read transaction, so every page sees the same
 * snapshot and a sync committing meanwhile cannot move a user between pages (seen twice or never).
 * Backpressure: the next page is read only once the client has taken the previous one.
 */
export function streamUserCsv(db: Database, spec: CsvExport, onError: (error: unknown) => void): PassThrough {
  const out = new PassThrough();
  const copy = async (tx: Queryable) => {
    for await (const chunk of userCsvChunks(tx, spec)) {
      if (out.destroyed) return; // the client went away: stop reading
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
    }
    out.end();
  };
  void db.transaction(copy, { isolationLevel: 'repeatable read', accessMode: 'read only' }).catch((error: unknown) => {
    onError(error);
    out.destroy(error instanceof Error ? error : new Error('csv export failed'));
  });
  return out;
}
