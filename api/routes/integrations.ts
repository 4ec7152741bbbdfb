import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { connectIntegration, type ConnectDeps } from '../../integrations/connect.js';
import { getIntegrationStatus } from '../../integrations/status.js';
import { connectDuoBodySchema, statusQuerySchema, tenantParamsSchema } from '../schemas/integration.js';
import { integrationStatusSchema } from '../../integrations/status-document.js';
import { commonErrorReplies as errors, errorReply } from './error-replies.js';

export interface IntegrationRoutesOptions {
  deps: ConnectDeps;
}

/** Connect a tenant's Duo account and read its sync status. Handlers only parse, call and shape. */
export const integrationRoutes: FastifyPluginAsyncZod<IntegrationRoutesOptions> = async (app, { deps }) => {
  app.put(
    '/v1/tenants/:tenantId/integrations/duo',
    {
      config: { scope: 'integrations:write', audit: 'integration.connect' },
      schema: {
        summary: 'Connect (or re-connect) the tenant\'s Duo Admin API application',
        description:
          'Checks the keys against Duo, stores them (secret key encrypted) and starts the initial sync. ' +
          'The same keys again while a sync runs return the same run; new keys of the same Duo account (apiHost) replace the old ones and keep synced data. ' +
          'Another apiHost is another Duo account: refused with 409 duo_account_changed until the tenant is disconnected with purge=true.',
        tags: ['integrations'],
        params: tenantParamsSchema,
        body: connectDuoBodySchema,
        response: {
          202: {
            description: 'Accepted: the keys work and the initial sync runs (or already ran) in the background',
            content: { 'application/json': { schema: integrationStatusSchema } },
          },
          ...errors,
          413: errorReply('Body larger than the limit'),
          409: errorReply(
            'apiHost names another Duo account than the one whose data the tenant holds (duo_account_changed; details.field is "apiHost"): ' +
              'disconnect with DELETE …/integrations/duo?purge=true first. Nothing was stored',
          ),
          415: errorReply('Body is not JSON'),
          422: errorReply('Duo rejected the keys (duo_credentials_rejected) or a permission is missing (duo_permission_missing)'),
          502: errorReply('Duo could not be reached (duo_unreachable)'),
          503: errorReply('Temporal unavailable; the keys are stored, retry the request'),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      await connectIntegration(deps, tenantId, request.body);
      // Right after connect Postgres is current; a live query could only add latency.
      const status = await getIntegrationStatus(deps, tenantId, { live: false });
      return reply.code(202).send(status);
    },
  );

  app.get(
    '/v1/tenants/:tenantId/integrations/duo',
    {
      config: { scope: 'integrations:read' },
      schema: {
        summary: 'Status of the tenant\'s Duo integration and initial sync',
        description:
          'Answered from Postgres alone (the initial sync records its phase and days there, the schedule\'s desired state is stored there), ' +
          'so it stays fast and available while Temporal is slow or down. With live=true Temporal is asked too.',
        tags: ['integrations'],
        params: tenantParamsSchema,
        querystring: statusQuerySchema,
        response: {
          200: { description: 'The status document', content: { 'application/json': { schema: integrationStatusSchema } } },
          ...errors,
          404: errorReply('No integration for this tenant (tenant_not_found)'),
        },
      },
    },
    async (request) => getIntegrationStatus(deps, request.params.tenantId, { live: request.query.live === true }),
  );
};
