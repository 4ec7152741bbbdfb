import { getJson, query, tenantPath } from '../api.js';
import { DailyChart } from '../chart.js';
import { Card, ErrorBox, Loading } from '../components.js';
import { num, when } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, navigate } from '../router.js';
import type { ApplicationUsage, GroupUsage, IntegrationStatus, Usage } from '../types.js';

const STATUSES = ['active', 'bypass', 'disabled', 'locked out', 'pending deletion'];

/** A link into the user list with exactly the filter the number counts. */
function UsersLink({ tenantId, filter, value, label }: { tenantId: string; filter: Record<string, string | number>; value: number; label: string }) {
  return (
    <a href={href(['t', tenantId, 'users'], filter)} aria-label={`${num(value)} ${label}: list them`}>
      {num(value)}
    </a>
  );
}

export function UsagePage({ tenantId, params }: { tenantId: string; params: URLSearchParams }) {
  const base = `${tenantPath(tenantId)}/duo`;
  // Narrowed to one group and/or status; the numbers' links carry the same filter into the user list.
  const group = params.get('group') ?? undefined;
  const status = params.get('status') ?? undefined;
  const scope: Record<string, string> = { ...(group ? { group } : {}), ...(status ? { status } : {}) };
  const key = `${tenantId}|${group ?? ''}|${status ?? ''}`;
  const usage = useLoad(`usage:${key}`, () => getJson<Usage>(`${base}/usage${query(scope)}`));
  const groups = useLoad(`groups:${tenantId}`, () => getJson<{ groups: GroupUsage[] }>(`${base}/groups`));
  const applications = useLoad(`apps:${tenantId}|${group ?? ''}`, () => getJson<{ applications: ApplicationUsage[] }>(`${base}/applications${query({ group })}`));
  // The chart spans what is kept: the daily rollups' retention (at most the series' 400 days).
  const series = useLoad(`daily:${tenantId}|${group ?? ''}`, async () => {
    const integration = await getJson<IntegrationStatus>(`${tenantPath(tenantId)}/integrations/duo`);
    const days = Math.min(400, integration.retention.rollupDays);
    return getJson<{ days: { day: string; activeUsers: number }[] }>(`${base}/daily-active-users${query({ days, group })}`);
  });
  const setScope = (name: string, value: string) => navigate(href(['t', tenantId, 'usage'], { ...scope, [name]: value || undefined }));
  if (!usage.data) return <>{usage.error ? <ErrorBox error={usage.error} /> : <Loading what="usage" />}</>;
  const u = usage.data;
  const reclaim = Object.fromEntries(new URLSearchParams(u.reclaimCandidates.usersQuery));
  const statusFilter: Record<string, string> = status ? { status } : {};
  return (
    <>
      <h1>Usage · {tenantId}</h1>
      <div class="filters card">
        <div class="field">
          <label for="usage-group">Group</label>
          <select id="usage-group" value={group ?? ''} onChange={(event) => setScope('group', event.currentTarget.value)}>
            <option value="">every group</option>
            {(groups.data?.groups ?? []).map((g) => (
              <option value={g.groupId}>{g.name}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="usage-status">Status</label>
          <select id="usage-status" value={status ?? ''} onChange={(event) => setScope('status', event.currentTarget.value)}>
            <option value="">every status</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        {group || status ? <p class="muted">By group is shown for everyone; the rest for this selection.</p> : null}
      </div>
      {u.freshness.partial ? (
        <p class="warning" role="status">
          The initial sync has not reached back far enough yet: activity is undercounted.
        </p>
      ) : null}
      <p class="muted">Newest event: {when(u.freshness.newestEventAt)}</p>
      <div class="grid">
        <Card title="Licences by status">
          <table>
            <tbody>
              <tr>
                <th scope="row">All users</th>
                <td>
                  <UsersLink tenantId={tenantId} filter={scope} value={u.users} label="users" />
                </td>
              </tr>
              {Object.entries(u.byStatus).map(([rowStatus, count]) => (
                <tr>
                  <th scope="row">{rowStatus}</th>
                  <td>
                    <UsersLink tenantId={tenantId} filter={{ ...scope, status: rowStatus }} value={count} label={`${rowStatus} users`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Active and inactive">
          <table>
            <thead>
              <tr>
                <th scope="col">Days</th>
                <th scope="col">Active</th>
                <th scope="col">Inactive</th>
              </tr>
            </thead>
            <tbody>
              {u.thresholds.map((t) => (
                <tr>
                  <th scope="row">{t.days}</th>
                  <td>
                    <UsersLink tenantId={tenantId} filter={{ ...scope, activeWithinDays: t.days }} value={t.active} label={`users active within ${t.days} days`} />
                  </td>
                  <td>
                    <UsersLink tenantId={tenantId} filter={{ ...scope, inactiveForDays: t.days }} value={t.inactive} label={`users inactive for ${t.days} days`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Reclaim candidates">
          <p class="big">
            <UsersLink tenantId={tenantId} filter={reclaim} value={u.reclaimCandidates.count} label="reclaim candidates" />
          </p>
          <p class="muted">
            Active in Duo, no activity in {u.reclaimCandidates.inactiveDays} days, created more than {u.reclaimCandidates.graceDays} days ago.
          </p>
        </Card>
      </div>
      <Card title="Daily active users">
        <ErrorBox error={series.error} />
        {series.data ? <DailyChart days={series.data.days} /> : <Loading what="the chart" />}
      </Card>
      <div class="grid">
        <Card title="By group">
          <table>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Members</th>
                <th scope="col">Active 30 d</th>
                <th scope="col">Inactive 30 d</th>
              </tr>
            </thead>
            <tbody>
              {u.byGroup.map((g) => (
                <tr>
                  <th scope="row">{g.name}</th>
                  <td>
                    <UsersLink tenantId={tenantId} filter={{ ...statusFilter, group: g.groupId }} value={g.members} label={`members of ${g.name}`} />
                  </td>
                  <td>
                    <UsersLink tenantId={tenantId} filter={{ ...statusFilter, group: g.groupId, activeWithinDays: 30 }} value={g.active30d} label={`active members of ${g.name}`} />
                  </td>
                  <td>
                    <UsersLink
                      tenantId={tenantId}
                      filter={{ ...statusFilter, group: g.groupId, inactiveForDays: 30 }}
                      value={g.members - g.active30d}
                      label={`inactive members of ${g.name}`}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="By application">
          <ErrorBox error={applications.error} />
          <table>
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">Users 30 d</th>
                <th scope="col">Users 90 d</th>
                <th scope="col">Authentications 30 d</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {(applications.data?.applications ?? []).map((a) => (
                <tr>
                  <th scope="row">{a.name ?? a.applicationKey}</th>
                  <td>{num(a.activeUsers.d30)}</td>
                  <td>{num(a.activeUsers.d90)}</td>
                  <td>{num(a.authentications.d30)}</td>
                  <td>{when(a.lastUsedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
    </>
  );
}
