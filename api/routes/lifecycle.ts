import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ConnectDeps } from '../../integrations/connect.js';
import { getIntegrationStatus } from '../../integrations/status.js';
import {
  disconnectIntegration,
  pauseIntegration,
  resumeIntegration,
  syncNow,
  updateIntegrationSettings,
} from '../../integrations/lifecycle.js';
import { disconnectQuerySchema, operatorNoteBodySchema, type OperatorNoteBody, settingsPatchBodySchema, syncNowBodySchema } from '../schemas/lifecycle.js';
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
        summary: 'Pause the recurring sync',
        description: 'Pauses the schedule with a note saying who and why (shown in the Temporal UI); status `paused`. A running run finishes.',
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
        summary: 'Resume the recurring sync',
        description:
          'Unpauses the schedule (also after `needs_attention`; fix the cause first) and restarts the failure count; ' +
          'status `active`, or `syncing` while the initial sync has not completed.',
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
          'Synced data and checkpoints stay (a later PUT resumes from them) unless `purge=true`. Idempotent.',
        tags: ['lifecycle'],
        params: tenantParamsSchema,
        querystring: disconnectQuerySchema,
        response: { 200: statusReply('Disconnected'), ...disconnectErrors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      await disconnectIntegration(deps, tenantId, { purge: request.query.purge });
      // Postgres is current and there is no schedule or running workflow left to ask.
      return getIntegrationStatus(deps, tenantId, { live: false });
    },
  );
};
