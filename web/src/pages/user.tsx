import { getJson, query, tenantPath } from '../api.js';
import { Card, ErrorBox, Loading, StatusBadge } from '../components.js';
import { inactiveFor, num, when } from '../format.js';
import { useLoad } from '../hooks.js';
import { href } from '../router.js';
import type { UserDetail, UserEvent } from '../types.js';

export function UserPage({ tenantId, userId }: { tenantId: string; userId: string }) {
  const base = `${tenantPath(tenantId)}/duo/users/${encodeURIComponent(userId)}`;
  const user = useLoad(`user:${tenantId}:${userId}`, () => getJson<UserDetail>(base));
  const events = useLoad(`events:${tenantId}:${userId}`, () => getJson<{ events: UserEvent[] }>(`${base}/events${query({ limit: 25 })}`));
  if (!user.data) return <>{user.error ? <ErrorBox error={user.error} /> : <Loading what="the user" />}</>;
  const u = user.data;
  return (
    <>
      <p>
        <a href={href(['t', tenantId, 'users'])}>← Users</a>
      </p>
      <h1>
        {u.username} <StatusBadge status={u.status} />
      </h1>
      <div class="grid">
        <Card title="Account">
          <dl>
            <dt>Name</dt>
            <dd>{u.realname ?? '—'}</dd>
            <dt>Email</dt>
            <dd>{u.email ?? '—'}</dd>
            <dt>Duo user id</dt>
            <dd>
              <code>{u.userId}</code>
            </dd>
            <dt>Aliases</dt>
            <dd>{u.aliases.join(', ') || '—'}</dd>
            <dt>Enrolled</dt>
            <dd>{u.enrolled ? 'yes' : 'no'}</dd>
            <dt>Created in Duo</dt>
            <dd>{when(u.createdAt)}</dd>
            {u.deletedAt ? (
              <>
                <dt>Removed from Duo</dt>
                <dd>{when(u.deletedAt)}</dd>
              </>
            ) : null}
          </dl>
        </Card>
        <Card title="Activity">
          <dl>
            <dt>Last activity</dt>
            <dd>{when(u.lastActivityAt)}</dd>
            <dt>Inactive for</dt>
            <dd>{inactiveFor(u.lastActivityAt)}</dd>
            <dt>Duo last login</dt>
            <dd>{when(u.lastLogin)}</dd>
            <dt>Authentications 30 / 60 / 90 d</dt>
            <dd>
              {num(u.authCounts.d30)} / {num(u.authCounts.d60)} / {num(u.authCounts.d90)}
            </dd>
            <dt>Applications 30 d</dt>
            <dd>{num(u.applications30d)}</dd>
          </dl>
        </Card>
        <Card title="Groups">
          {u.groups.length === 0 ? (
            <p class="muted">No group.</p>
          ) : (
            <ul>
              {u.groups.map((g) => (
                <li>
                  <a href={href(['t', tenantId, 'users'], { group: g.groupId })}>{g.name}</a>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <Card title="Recent authentications">
        <ErrorBox error={events.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Result</th>
              <th scope="col">Reason</th>
              <th scope="col">Factor</th>
              <th scope="col">Application</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {(events.data?.events ?? []).map((e) => (
              <tr>
                <td>{when(e.occurredAt)}</td>
                <td>{e.result ?? '—'}</td>
                <td>{e.reason ?? '—'}</td>
                <td>{e.factor ?? '—'}</td>
                <td>{e.application.name ?? e.application.key ?? '—'}</td>
                <td>{[e.access.ip, e.access.city, e.access.country].filter(Boolean).join(', ') || '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {events.data && events.data.events.length === 0 ? <p class="muted">No authentication stored.</p> : null}
      </Card>
    </>
  );
}
