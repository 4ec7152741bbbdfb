import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Database } from '../../db/client.js';
import { eraseUserData } from '../../integrations/user-erasure.js';
import { userErasureSchema } from '../schemas/erasure.js';
import { userParamsSchema } from '../schemas/usage.js';
import { commonErrorReplies, errorReply } from './error-replies.js';

export interface ErasureRoutesOptions {
  deps: { db: Database };
}

/** Per-user erasure: synchronous, one transaction (integrations/user-erasure.ts says why). */
export const erasureRoutes: FastifyPluginAsyncZod<ErasureRoutesOptions> = async (app, { deps }) => {
  app.delete(
    '/v1/tenants/:tenantId/duo/users/:userId/data',
    {
      config: { scope: 'integrations:write', audit: 'user.erasure' },
      schema: {
        summary: "Erase one person's stored data",
        description:
          'Deletes the user\'s events in every stream that names them, their daily rollup rows (the tenant\'s totals are reduced by their share), ' +
          'their group memberships and their user row, in one transaction, and answers with the counts. Idempotent: repeated, it answers zeros. ' +
          'If the user still exists in Duo, the next roster refresh stores their user row again (without their past events).',
        tags: ['usage'],
        params: userParamsSchema,
        response: {
          200: { description: 'Erased', content: { 'application/json': { schema: userErasureSchema } } },
          ...commonErrorReplies,
          404: errorReply('No integration for this tenant (tenant_not_found)'),
          409: errorReply('The tenant is being purged (tenant_purging): its data goes anyway'),
        },
      },
    },
    async (request) => eraseUserData(deps.db, request.params.tenantId, request.params.userId),
  );
};
