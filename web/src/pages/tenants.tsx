import { useState } from 'preact/hooks';
import { getJson, query } from '../api.js';
import { Card, ErrorBox, Loading, StatusBadge } from '../components.js';
import { ago, duration, num } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, navigate } from '../router.js';
import { temporalUiLink, useSession } from '../session.js';
import type { TenantRow } from '../types.js';

const STATUSES = ['syncing', 'active', 'paused', 'needs_attention', 'disconnected'];
const PAGE = 50;

/** Every tenant for operators (admin keys), filtered and paged by the API. */
export function TenantsPage({ params }: { params: URLSearchParams }) {
  const { settings } = useSession();
  const status = params.get('status') ?? '';
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const tenants = useLoad(`${status}|${cursor ?? ''}`, () =>
    getJson<{ tenants: TenantRow[]; nextCursor: string | null }>(`/v1/tenants${query({ status, cursor, limit: PAGE })}`),
  );
  return (
    <>
      <h1>Tenants</h1>
      <Card title="Filter">
        <label for="tenant-status">Status</label>{' '}
        <select
          id="tenant-status"
          value={status}
          onChange={(event) => {
            setCursors([]);
            navigate(href(['tenants'], { status: event.currentTarget.value }));
          }}
        >
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
      </Card>
      <ErrorBox error={tenants.error} />
      {!tenants.data ? (
        <Loading what="tenants" />
      ) : (
        <>
          <table>
            <caption class="visually-hidden">Tenants</caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Status</th>
                <th scope="col">Initial sync</th>
                <th scope="col">Lag</th>
                <th scope="col">Last run</th>
                <th scope="col">Last error</th>
                <th scope="col">Temporal</th>
              </tr>
            </thead>
            <tbody>
              {tenants.data.tenants.map((t) => {
                const temporal = temporalUiLink(settings, t.tenantId);
                return (
                  <tr data-tenant={t.tenantId}>
                    <td>
                      <a href={href(['t', t.tenantId, 'sync'])}>{t.tenantId}</a>
                    </td>
                    <td>
                      <StatusBadge status={t.status} />
                    </td>
                    <td>
                      {t.phase ?? '—'}
                      {t.initialSync
                        ? ` · ${t.initialSync.daysDone}/${t.initialSync.daysTotal} days · ${num(t.initialSync.eventsSynced)} events`
                        : ''}
                    </td>
                    <td>{duration(t.lagSeconds)}</td>
                    <td>{ago(t.lastRunAt)}</td>
                    <td>{t.lastError ? <><code>{t.lastError.code}</code> {t.lastError.message}</> : '—'}</td>
                    <td>{temporal ? <a href={temporal} target="_blank" rel="noopener noreferrer">workflows</a> : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {tenants.data.tenants.length === 0 ? <p class="muted">No tenant matches.</p> : null}
          <div class="pager">
            <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <button type="button" disabled={!tenants.data.nextCursor} onClick={() => setCursors([...cursors, tenants.data!.nextCursor!])}>
              Next page
            </button>
          </div>
        </>
      )}
    </>
  );
}
