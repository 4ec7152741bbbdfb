import type { UserUsage } from '../../db/usage-users.js';

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
