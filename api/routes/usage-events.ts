import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireIntegration } from '../../db/integrations.js';
import { listUserEvents } from '../../db/usage-events.js';
import { DEFAULT_PAGE_SIZE, encodeEventCursor, eventsQuerySchema, userEventListSchema, userParamsSchema } from '../schemas/usage.js';
import { usageErrors, type UsageRoutesOptions } from './usage-shared.js';

/** One user's authentication events, read through the (tenant_id, user_id, occurred_at) index. */
export const userEventRoutes: FastifyPluginAsyncZod<UsageRoutesOptions> = async (app, { deps }) => {
  app.get(
    '/v1/tenants/:tenantId/duo/users/:userId/events',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: "One user's authentication events, newest first, keyset-paged",
        description: "Events as stored (no rollup); with include=raw, each with Duo's event exactly as Duo sent it. An unknown user id gives an empty list.",
        tags: ['usage'],
        params: userParamsSchema,
        querystring: eventsQuerySchema,
        response: {
          200: { description: 'A page of events', content: { 'application/json': { schema: userEventListSchema } } },
          ...usageErrors,
        },
      },
    },
    async (request) => {
      const { tenantId, userId } = request.params;
      const { from, to, limit, cursor, include } = request.query;
      const [, page] = await Promise.all([
        requireIntegration(deps.db, tenantId),
        listUserEvents(
          deps.db,
          tenantId,
          userId,
          { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
          { limit: limit ?? DEFAULT_PAGE_SIZE, ...(cursor ? { after: cursor } : {}), includeRaw: include === 'raw' },
        ),
      ]);
      return { userId, events: page.events, nextCursor: page.next ? encodeEventCursor(page.next) : null };
    },
  );
};
