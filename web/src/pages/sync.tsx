import { useRef, useState } from 'preact/hooks';
import { getJson, query, sendJson, tenantPath } from '../api.js';
import { Card, ErrorBox, Loading, Progress, StatusBadge } from '../components.js';
import { ago, duration, num, when } from '../format.js';
import { useLoad } from '../hooks.js';
import { href, navigate } from '../router.js';
import { can, temporalUiLink, useSession } from '../session.js';
import type { IntegrationStatus, RunRow } from '../types.js';

const running = (status: IntegrationStatus) => status.initialSync.state === 'running';

/** Progress of the initial sync (live while it runs), the schedule, streams, runs, and the lifecycle buttons. */
export function SyncPage({ tenantId }: { tenantId: string }) {
  const { me, settings } = useSession();
  const base = `${tenantPath(tenantId)}/integrations/duo`;
  // While the initial sync runs the page polls the Postgres-only answer; otherwise it asks Temporal
  // too (live), for the schedule's next run.
  const wasRunning = useRef(false);
  const status = useLoad(
    `status:${tenantId}`,
    async () => {
      const answer = await getJson<IntegrationStatus>(`${base}${wasRunning.current ? '' : '?live=true'}`);
      wasRunning.current = running(answer);
      return answer;
    },
    { pollMs: 2000, poll: running },
  );
  const runs = useLoad(`runs:${tenantId}:${status.data?.lastRun?.at ?? ''}:${status.data?.initialSync.state ?? ''}`, () =>
    getJson<{ runs: RunRow[] }>(`${base}/runs${query({ limit: 10 })}`),
  );
  const [actionError, setActionError] = useState<Error | undefined>();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const writable = can(me, 'integrations:write');

  const act = async (method: string, path: string, body?: unknown) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await sendJson(method, `${base}${path}`, body);
      status.reload();
      return true;
    } catch (error) {
      setActionError(error as Error);
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (!status.data) {
    return (
      <>
        <h1>Sync · {tenantId}</h1>
        <ErrorBox error={status.error} />
        {status.error && 'code' in status.error && status.error.code === 'tenant_not_found' && writable ? (
          <p>
            <a href={href(['t', tenantId, 'connect'])}>Connect this tenant</a>
          </p>
        ) : null}
        {!status.error ? <Loading what="the sync status" /> : null}
      </>
    );
  }
  const s = status.data;
  const temporal = temporalUiLink(settings, tenantId);
  const note = reason.trim() || 'from the console';
  return (
    <>
      <h1>
        Sync · {tenantId} <StatusBadge status={s.status} />
      </h1>
      <ErrorBox error={status.error} />
      {s.lastError ? (
        <div class="error" role="alert">
          <code>{s.lastError.code}</code> {s.lastError.message}
        </div>
      ) : null}
      <div class="grid">
        <Card title="Initial sync">
          <dl>
            <dt>State</dt>
            <dd data-testid="initial-state">{s.initialSync.state}</dd>
            <dt>Phase</dt>
            <dd data-testid="phase">{s.initialSync.phase}</dd>
            <dt>Days of logs</dt>
            <dd>
              <Progress done={s.initialSync.backfill.windowsDone} total={s.initialSync.backfill.windowsTotal} label="Backfill days done" />
            </dd>
            <dt>Events</dt>
            <dd data-testid="events">{num(s.counts.authEvents)}</dd>
            <dt>Users / groups</dt>
            <dd>
              {num(s.counts.users)} / {num(s.counts.groups)}
            </dd>
            <dt>{running(s) ? 'Estimated completion' : 'Completed'}</dt>
            <dd>{running(s) ? when(s.initialSync.estimatedCompletionAt) : when(s.initialSync.completedAt)}</dd>
          </dl>
          {running(s) ? (
            <p class="muted" role="status">
              Live: refreshed every 2 seconds while the initial sync runs.
            </p>
          ) : null}
        </Card>
        <Card title="Schedule">
          <dl>
            <dt>Paused</dt>
            <dd data-testid="paused">{s.schedule.paused ? 'yes' : 'no'}</dd>
            <dt>Note</dt>
            <dd>{s.schedule.note ?? '—'}</dd>
            <dt>Every</dt>
            <dd>{s.schedule.intervalMinutes} min</dd>
            <dt>Next run</dt>
            <dd>{when(s.nextSyncAt)}</dd>
            <dt>Last completed</dt>
            <dd>{ago(s.lastSyncAt)}</dd>
            <dt>Lag</dt>
            <dd>{duration(s.lagSeconds)}</dd>
            <dt>Duo account</dt>
            <dd>
              {s.apiHost} · {s.integrationKey}
            </dd>
          </dl>
          {temporal ? (
            <p>
              <a href={temporal} target="_blank" rel="noopener noreferrer">
                Workflows in the Temporal UI
              </a>
            </p>
          ) : null}
        </Card>
      </div>
      {writable && s.status !== 'disconnected' ? (
        <Card title="Actions">
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => void act('POST', '/sync', {})}>
              Sync now
            </button>
            <label for="action-reason">Reason</label>
            <input id="action-reason" value={reason} placeholder="maintenance window" onInput={(event) => setReason(event.currentTarget.value)} />
            {s.schedule.paused ? (
              <button type="button" disabled={busy} onClick={() => void act('POST', '/resume', { by: me.name, reason: note })}>
                Resume
              </button>
            ) : (
              <button type="button" disabled={busy} onClick={() => void act('POST', '/pause', { by: me.name, reason: note })}>
                Pause
              </button>
            )}
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={async () => {
                if (!confirm(`Disconnect ${tenantId}? The stored keys are erased and the schedule deleted; synced data is kept.`)) return;
                if (await act('DELETE', '')) navigate(href(['t', tenantId, 'sync']));
              }}
            >
              Disconnect
            </button>
          </div>
          <ErrorBox error={actionError} />
        </Card>
      ) : null}
      <Card title="Streams">
        <table>
          <thead>
            <tr>
              <th scope="col">Stream</th>
              <th scope="col">On</th>
              <th scope="col">Synced up to</th>
              <th scope="col">Newest event</th>
              <th scope="col">Events</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(s.streams).map(([name, stream]) => (
              <tr>
                <th scope="row">{name}</th>
                <td>{stream.enabled ? 'yes' : 'no'}</td>
                <td>{when(stream.checkpointAt)}</td>
                <td>{when(stream.newestEventAt)}</td>
                <td>{num(stream.events)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card title="Recent runs">
        <ErrorBox error={runs.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col">Outcome</th>
              <th scope="col">Stored</th>
              <th scope="col">Failure</th>
            </tr>
          </thead>
          <tbody>
            {(runs.data?.runs ?? []).map((run) => (
              <tr>
                <td>{run.kind}</td>
                <td>{when(run.startedAt)}</td>
                <td>{when(run.finishedAt)}</td>
                <td>
                  <StatusBadge status={run.outcome} />
                </td>
                <td>
                  {Object.entries(run.counts)
                    .map(([k, v]) => `${k} ${num(v)}`)
                    .join(', ') || '—'}
                </td>
                <td>{run.error ? <><code>{run.error.code}</code> {run.error.message}</> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
