import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ConnectDeps } from '../../integrations/connect.js';
import { getIntegrationStatus } from '../../integrations/status.js';
import {
  disconnectIntegration,
  pauseIntegration,
  resumeIntegration,
  retryInitialSync,
  syncNow,
  updateIntegrationSettings,
} from '../../integrations/lifecycle.js';
import { disconnectQuerySchema, operatorNoteBodySchema, type OperatorNoteBody, retryBodySchema, settingsPatchBodySchema, syncNowBodySchema } from '../schemas/lifecycle.js';
import { integrationStatusSchema } from '../../integrations/status-document.js';
import { tenantParamsSchema } from '../schemas/integration.js';
import { commonErrorReplies, errorReply } from './error-replies.js';

export interface LifecycleRoutesOptions {
  deps: ConnectDeps;
}

const path = '/v1/tenants/:tenantId/integrations/duo';
const statusReply = (description: string) => ({ description, content: { 'application/json': { schema: integrationStatusSchema } } });

const disconnectErrors = {
  ...commonErrorReplies,
  404: errorReply('No integration for this tenant (tenant_not_found)'),
  503: errorReply('Temporal unavailable (temporal_unavailable): the change is stored and reconciliation applies it shortly; retry to be sure'),
};

/** Pause and resume say who and why in free text: kept as the audit row's note, never as the identity. */
const noteOf = (body: OperatorNoteBody): string => [`by: ${body.by}`, body.reason === undefined ? '' : `reason: ${body.reason}`].filter(Boolean).join('; ');

/** The audit action of a DELETE is known before validation; a purge is named as such even when refused. */
const purgeRequested = (query: unknown): boolean => (query as { purge?: unknown } | undefined)?.purge === true || (query as { purge?: unknown } | undefined)?.purge === 'true';

const errors = {
  ...disconnectErrors,
  409: errorReply('The integration is disconnected (integration_not_connected): connect it again with PUT first'),
  413: errorReply('Body larger than the limit'),
  415: errorReply('Body is not JSON'),
};

/**
 * After connect: sync now, pause, resume, change settings, disconnect. Each handler parses, calls one
 * lifecycle function and answers with the status document. Registered as its own plugin so the
 * lenient JSON parser below applies to these routes only.
 */
export const lifecycleRoutes: FastifyPluginAsyncZod<LifecycleRoutesOptions> = async (app, { deps }) => {
  // `curl -X POST -H 'Content-Type: application/json'` without -d sends an empty JSON body; here that
  // means "no body" (sync now's body is optional) instead of malformed_json.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    void parseJson(request, text, done);
  });

  app.post(
    `${path}/sync`,
    {
      config: { scope: 'integrations:write', audit: 'integration.sync_now' },
      schema: {
        summary: 'Run the incremental sync now',
        description:
          'Triggers the tenant\'s schedule at once with overlap SKIP: while a run is going, no second run starts. ' +
          '`{"roster":true}` also refreshes the roster in that run.',
        tags: ['lifecycle'],
        params: tenantParamsSchema,
        body: syncNowBodySchema,
        response: { 202: statusReply('Accepted: the run starts in the background (or one is already running)'), ...errors },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      await syncNow(deps, tenantId, { roster: request.body?.roster === true });
      return reply.code(202).send(await getIntegrationStatus(deps, tenantId));
    },
  );

  app.post(
    `${path}/pause`,
    {
      config: { scope: 'integrations:write', audit: 'integration.pause' },
      schema: {
        summary: 'Pause syncing',
        description:
          'Once this answers, no new Duo request starts: a running incremental run stops at its next page boundary (stored pages stay), ' +
          'a running initial sync waits where it stopped and goes on at `resume`. The schedule is paused with a note saying who and why ' +
          '(shown in the Temporal UI); status `paused`, `initialSync.phase` the phase it paused in.',
        tags: ['lifecycle'],
        params: tenantParamsSchema,
        body: operatorNoteBodySchema,
        response: { 200: statusReply('Paused'), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      request.audit = { note: noteOf(request.body) };
      await pauseIntegration(deps, tenantId, request.body);
      return getIntegrationStatus(deps, tenantId);
    },
  );

  app.post(
    `${path}/resume`,
    {
      config: { scope: 'integrations:write', audit: 'integration.resume' },
      schema: {
        summary: 'Resume syncing',
        description:
          'Unpauses the schedule (also after `needs_attention`; fix the cause first) and restarts the failure count; ' +
          'a paused initial sync goes on where it stopped, a failed one starts again with the stored keys (as `initial-sync/retry`). ' +
          'Status `active`, or `syncing` while the initial sync runs.',
        tags: ['lifecycle'],
        params: tenantParamsSchema,
        body: operatorNoteBodySchema,
        response: { 200: statusReply('Resumed'), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      request.audit = { note: noteOf(request.body) };
      await resumeIntegration(deps, tenantId, request.body);
      return getIntegrationStatus(deps, tenantId);
    },
  );

  app.post(
    `${path}/initial-sync/retry`,
    {
      config: { scope: 'integrations:write', audit: 'integration.initial_sync_retry' },
      schema: {
        summary: 'Retry a failed initial sync with the stored keys',
        description:
          'Starts the failed initial sync again without the customer\'s secret: the same anchor, so finished days are not fetched again and ' +
          'unfinished ones resume from their cursors. A tenant that needed attention for the failure recovers; a paused one stays paused. ' +
          'If the keys still fail, the sync fails again the same way.',
        tags: ['lifecycle'],
        params: tenantParamsSchema,
        body: retryBodySchema,
        response: {
          202: statusReply('Accepted: the initial sync runs again'),
          ...errors,
          409: errorReply(
            'The initial sync has not failed (initial_sync_not_failed; details.initialSyncState says what it is), ' +
              'or the integration is disconnected (integration_not_connected)',
          ),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      await retryInitialSync(deps, tenantId);
      return reply.code(202).send(await getIntegrationStatus(deps, tenantId, { live: false }));
    },
  );

  app.patch(
    path,
    {
      config: { scope: 'integrations:write', audit: 'integration.settings' },
      schema: {
        summary: 'Change the integration\'s settings',
        description: 'Only the fields sent change. The schedule is updated in place (same id, history and pause state).',
        tags: ['lifecycle'],
        params: tenantParamsSchema,
        body: settingsPatchBodySchema,
        response: { 200: statusReply('The settings in effect are in `settings`'), ...errors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      await updateIntegrationSettings(deps, tenantId, request.body);
      return getIntegrationStatus(deps, tenantId);
    },
  );

  app.delete(
    path,
    {
      config: { scope: 'integrations:write', audit: (request) => (purgeRequested(request.query) ? 'integration.purge' : 'integration.disconnect') },
      schema: {
        summary: 'Disconnect the tenant\'s Duo account',
        description:
          'Deletes the schedule, cancels running syncs and erases the stored credentials; status `disconnected`. ' +
          'Synced data and checkpoints stay (a later PUT resumes from them) unless `purge=true`: then the answer is 202, status `purging`, ' +
          'and a workflow deletes the data in batches, its progress in `purge`; once done the status is `disconnected` with `purge.phase` `done`, ' +
          'and the row keeps no key or API host. Idempotent: repeated while the purge runs it answers 202 for the same purge.',
        tags: ['lifecycle'],
        params: tenantParamsSchema,
        querystring: disconnectQuerySchema,
        response: {
          200: statusReply('Disconnected (or, with purge, purged already)'),
          202: statusReply('Purge under way (purge=true)'),
          ...disconnectErrors,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      const { purging } = await disconnectIntegration(deps, tenantId, { purge: request.query.purge });
      // Postgres is current and there is no schedule left to ask.
      return reply.code(purging ? 202 : 200).send(await getIntegrationStatus(deps, tenantId, { live: false }));
    },
  );
};
