import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ConnectDeps } from '../../integrations/connect.js';
import { listTenants } from '../../integrations/tenant-list.js';
import { DEFAULT_TENANT_PAGE_SIZE, encodeTenantCursor, tenantListSchema, tenantsQuerySchema } from '../schemas/tenants.js';
import { commonErrorReplies, errorReply } from './error-replies.js';

const errors = {
  ...commonErrorReplies,
  400: errorReply('A query parameter is invalid (validation_failed; details.issues names it: status, cursor or limit)'),
};

export interface TenantRoutesOptions {
  deps: Pick<ConnectDeps, 'db' | 'now'>;
}

/** Every tenant with its status, for operators and the embedding product; Postgres only. */
export const tenantRoutes: FastifyPluginAsyncZod<TenantRoutesOptions> = async (app, { deps }) => {
  app.get(
    '/v1/tenants',
    {
      schema: {
        summary: 'Every tenant with its status, initial-sync progress, last run, lag and last error',
        description:
          'Keyset-paged in tenant id order; filter by status (repeat for several) to find the tenants that need someone, ' +
          'e.g. status=needs_attention. Answered from Postgres alone.',
        tags: ['integrations'],
        querystring: tenantsQuerySchema,
        response: {
          200: { description: 'A page of tenants', content: { 'application/json': { schema: tenantListSchema } } },
          ...errors,
        },
      },
    },
    async (request) => {
      const { status, cursor, limit } = request.query;
      const page = await listTenants(
        deps.db,
        { statuses: status ?? [], limit: limit ?? DEFAULT_TENANT_PAGE_SIZE, ...(cursor === undefined ? {} : { afterTenantId: cursor }) },
        deps.now?.() ?? Date.now(),
      );
      return { tenants: page.tenants, nextCursor: page.nextAfter === undefined ? null : encodeTenantCursor(page.nextAfter) };
    },
  );
};
