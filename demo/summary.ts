import type { ApplicationUsage, UsageSummary } from './api-client.js';

/** Plain-text tables of the usage API's answers, for the end of the demo. */

const grouped = (n: number) => n.toLocaleString('en-US');

/** Left-aligns the first column, right-aligns the others (numbers). */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderUsageSummary(usage: UsageSummary, applications: ApplicationUsage[], maxApplications = 10): string {
  const sections: string[] = [];
  sections.push(
    renderTable(
      ['users', 'count'],
      [
        ['in Duo (not deleted)', grouped(usage.users)],
        ...Object.entries(usage.byStatus)
          .sort(([, a], [, b]) => b - a)
          .map(([status, n]) => [`  status ${status}`, grouped(n)]),
        ...usage.thresholds.map((t) => [`active in the last ${t.days} days`, grouped(t.active)]),
        ...usage.thresholds.map((t) => [`inactive for ${t.days}+ days`, grouped(t.inactive)]),
        [
          `licence-reclaim candidates (active, idle ${usage.reclaimCandidates.inactiveDays}+ days, older than ${usage.reclaimCandidates.graceDays} days)`,
          grouped(usage.reclaimCandidates.count),
        ],
      ],
    ),
  );
  const shown = applications.slice(0, maxApplications);
  sections.push(
    renderTable(
      ['application', 'users 30d', 'users 90d', 'auths 90d', 'denied 90d'],
      shown.map((a) => [
        a.name ?? a.applicationKey,
        grouped(a.activeUsers.d30),
        grouped(a.activeUsers.d90),
        grouped(a.authentications.d90),
        grouped(a.denied.d90),
      ]),
    ) + (applications.length > shown.length ? `\n… and ${applications.length - shown.length} more` : ''),
  );
  const oldest = usage.freshness.oldestEventAt?.slice(0, 10) ?? '–';
  const newest = usage.freshness.newestEventAt?.slice(0, 19).replace('T', ' ') ?? '–';
  sections.push(`events stored from ${oldest} to ${newest} UTC${usage.freshness.partial ? ' (backfill still partial)' : ''}`);
  return sections.join('\n\n');
}

/** The Temporal UI's workflow list filtered to one tenant (TenantId search attribute). */
export function temporalUiTenantLink(uiUrl: string, namespace: string, tenant: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(`TenantId="${tenant}"`)}`;
}

/**
 * The console, logged in for the tenant with `key`, a key the demo made for this purpose (bound to
 * the tenant, expiring). It travels in the fragment only: a browser never sends the fragment to any
 * server (no request line, no access log, no Referer), and the console moves it to the tab's
 * sessionStorage and erases it from the address bar and the history entry before rendering.
 */
export function consoleLink(apiUrl: string, tenant: string, key: string): string {
  return `${apiUrl}/#key=${encodeURIComponent(key)}&tenant=${encodeURIComponent(tenant)}`;
}
