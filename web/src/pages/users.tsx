import { useEffect, useState } from 'preact/hooks';
import { getCsv, getJson, query, tenantPath } from '../api.js';
import { Card, ErrorBox, Loading, StatusBadge } from '../components.js';
import { inactiveFor, num, when } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, navigate } from '../router.js';
import type { GroupUsage, UserRow } from '../types.js';

const STATUSES = ['active', 'bypass', 'disabled', 'locked out', 'pending deletion'];
const INACTIVE_DAYS = [30, 60, 90, 180];
const PAGE = 50;
/** The filters the page keeps in its address (never a secret), exactly the API's parameter names. */
const FILTERS = ['group', 'status', 'inactiveForDays', 'activeWithinDays', 'createdMoreThanDaysAgo', 'search', 'sort', 'order'] as const;

function filtersOf(params: URLSearchParams): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  return filters;
}

/** Users filtered, sorted and keyset-paged by the API (never the whole list in the page), with the CSV of exactly that list. */
export function UsersPage({ tenantId, params }: { tenantId: string; params: URLSearchParams }) {
  const base = `${tenantPath(tenantId)}/duo`;
  const filters = filtersOf(params);
  const filterKey = JSON.stringify(filters);
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => setCursors([]), [filterKey, tenantId]);
  const cursor = cursors[cursors.length - 1];
  const users = useLoad(`${tenantId}|${filterKey}|${cursor ?? ''}`, () =>
    getJson<{ users: UserRow[]; total: number; nextCursor: string | null }>(`${base}/users${query({ ...filters, limit: PAGE, cursor })}`),
  );
  const groups = useLoad(`groups:${tenantId}`, () => getJson<{ groups: GroupUsage[] }>(`${base}/groups`));
  const [search, setSearch] = useState(filters.search ?? '');
  useEffect(() => setSearch(filters.search ?? ''), [filters.search]);
  const [csvError, setCsvError] = useState<Error | undefined>();
  const [downloading, setDownloading] = useState(false);

  const setFilter = (name: string, value: string) => navigate(href(['t', tenantId, 'users'], { ...filters, [name]: value || undefined }));
  const sortBy = (field: string) => {
    const order = filters.sort === field || (!filters.sort && field === 'username') ? (filters.order === 'desc' ? 'asc' : 'desc') : 'asc';
    navigate(href(['t', tenantId, 'users'], { ...filters, sort: field, order }));
  };
  const ariaSort = (field: string) => {
    const active = (filters.sort ?? 'username') === field;
    if (!active) return undefined;
    return filters.order === 'desc' ? 'descending' : 'ascending';
  };

  return (
    <>
      <h1>Users · {tenantId}</h1>
      <Card title="Filters">
        <form
          class="filters"
          onSubmit={(event) => {
            event.preventDefault();
            setFilter('search', search.trim());
          }}
        >
          <div class="field">
            <label for="filter-group">Group</label>
            <select id="filter-group" value={filters.group ?? ''} onChange={(event) => setFilter('group', event.currentTarget.value)}>
              <option value="">any</option>
              {(groups.data?.groups ?? []).map((g) => (
                <option value={g.groupId}>
                  {g.name} ({num(g.members)})
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="filter-status">Status</label>
            <select id="filter-status" value={filters.status ?? ''} onChange={(event) => setFilter('status', event.currentTarget.value)}>
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option value={s}>{s}</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="filter-inactive">Inactive for</label>
            <select id="filter-inactive" value={filters.inactiveForDays ?? ''} onChange={(event) => setFilter('inactiveForDays', event.currentTarget.value)}>
              <option value="">any</option>
              {INACTIVE_DAYS.map((d) => (
                <option value={String(d)}>{d}+ days</option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="filter-search">Search</label>
            <input
              id="filter-search"
              type="search"
              value={search}
              placeholder="username, name or email prefix"
              onInput={(event) => setSearch(event.currentTarget.value)}
            />
          </div>
          <button type="submit">Search</button>
          {Object.keys(filters).length > 0 ? (
            <a href={href(['t', tenantId, 'users'])} class="button-link">
              Clear filters
            </a>
          ) : null}
        </form>
        {filters.activeWithinDays || filters.createdMoreThanDaysAgo ? (
          <p class="muted">
            Also: {filters.activeWithinDays ? `active within ${filters.activeWithinDays} days ` : ''}
            {filters.createdMoreThanDaysAgo ? `created more than ${filters.createdMoreThanDaysAgo} days ago` : ''}
          </p>
        ) : null}
      </Card>
      <ErrorBox error={users.error} />
      {!users.data ? (
        !users.error ? <Loading what="users" /> : null
      ) : (
        <>
          <div class="toolbar">
            <p role="status" data-testid="total">
              {num(users.data.total)} users match
            </p>
            <button
              type="button"
              disabled={downloading}
              onClick={async () => {
                setDownloading(true);
                setCsvError(undefined);
                try {
                  // Same filters and sort, no cursor or limit: every matching row, from one snapshot.
                  const blob = await getCsv(`${base}/users${query(filters)}`);
                  const url = URL.createObjectURL(blob);
                  const link = document.createElement('a');
                  link.href = url;
                  link.download = `duo-users-${tenantId}.csv`;
                  link.click();
                  setTimeout(() => URL.revokeObjectURL(url), 10_000);
                } catch (error) {
                  setCsvError(error as Error);
                } finally {
                  setDownloading(false);
                }
              }}
            >
              {downloading ? 'Preparing CSV…' : 'Download CSV'}
            </button>
          </div>
          <ErrorBox error={csvError} />
          <table class="users">
            <caption class="visually-hidden">Users, page {cursors.length + 1}</caption>
            <thead>
              <tr>
                <th scope="col" aria-sort={ariaSort('username')}>
                  <button type="button" class="link" onClick={() => sortBy('username')}>
                    Username
                  </button>
                </th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Groups</th>
                <th scope="col" aria-sort={ariaSort('lastActivityAt')}>
                  <button type="button" class="link" onClick={() => sortBy('lastActivityAt')}>
                    Last activity
                  </button>
                </th>
                <th scope="col">Inactive for</th>
                <th scope="col">Auths 30 d</th>
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((user) => (
                <tr data-user-id={user.userId}>
                  <td>
                    <a href={href(['t', tenantId, 'users', user.userId])}>{user.username}</a>
                  </td>
                  <td>{user.realname ?? '—'}</td>
                  <td>
                    <StatusBadge status={user.status} />
                  </td>
                  <td>{user.groups.map((g) => g.name).join(', ') || '—'}</td>
                  <td>{when(user.lastActivityAt)}</td>
                  <td>{inactiveFor(user.lastActivityAt)}</td>
                  <td>{num(user.authCounts.d30)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="pager">
            <button type="button" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
            <span>Page {cursors.length + 1}</span>
            <button type="button" disabled={!users.data.nextCursor} onClick={() => setCursors([...cursors, users.data!.nextCursor!])}>
              Next page
            </button>
          </div>
        </>
      )}
    </>
  );
}
