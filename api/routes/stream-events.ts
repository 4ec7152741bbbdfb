import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireIntegration } from '../../db/integrations.js';
import { listStreamEvents } from '../../db/stream-events.js';
import { DEFAULT_PAGE_SIZE, encodeEventCursor, streamEventListSchema, streamEventsQuerySchema, streamParamsSchema } from '../schemas/usage.js';
import { usageErrors, type UsageRoutesOptions } from './usage-shared.js';

/** The synced optional log streams (telephony, activity, administrator), read back as stored. */
export const streamEventRoutes: FastifyPluginAsyncZod<UsageRoutesOptions> = async (app, { deps }) => {
  app.get(
    '/v1/tenants/:tenantId/duo/streams/:stream/events',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: 'Events of one optional log stream (telephony, activity, administrator), newest first, keyset-paged',
        description:
          "Events as stored, each with Duo's event exactly as Duo sent it. A stream never switched on (PATCH settings) gives an empty list. " +
          'Activity logs are the successor of administrator logs in Duo: prefer the activity stream.',
        tags: ['usage'],
        params: streamParamsSchema,
        querystring: streamEventsQuerySchema,
        response: {
          200: { description: 'A page of events', content: { 'application/json': { schema: streamEventListSchema } } },
          ...usageErrors,
        },
      },
    },
    async (request) => {
      const { tenantId, stream } = request.params;
      const { from, to, limit, cursor } = request.query;
      const [, page] = await Promise.all([
        requireIntegration(deps.db, tenantId),
        listStreamEvents(
          deps.db,
          tenantId,
          stream,
          { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
          { limit: limit ?? DEFAULT_PAGE_SIZE, ...(cursor ? { after: { occurredAt: cursor.occurredAt, id: cursor.txid } } : {}) },
        ),
      ]);
      return { stream, events: page.events, nextCursor: page.next ? encodeEventCursor({ occurredAt: page.next.occurredAt, txid: page.next.id }) : null };
    },
  );
};
