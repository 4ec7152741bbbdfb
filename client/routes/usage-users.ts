import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Queryable } from '../../db/client.js';
import { listUserEvents } from '../../db/usage-events.js';
import { countUsers, listUserUsage, type UserKeyset, type UserSort } from '../../db/usage-users.js';
import type { UserFilter } from '../../db/usage-user-filter.js';
import { tenantIdSchema } from '../schemas.js';
import {
  DEFAULT_PAGE_SIZE,
  encodeEventCursor,
  encodeUserCursor,
  eventsQuerySchema,
  userEventListSchema,
  userIdSchema,
  userListSchema,
  usersCsvSchema,
  usersQuerySchema,
  type UsersQuery,
} from '../usage-schemas.js';
import { csvLine, prefersCsv, userCsvColumns, userCsvValues } from './usage-csv.js';
import { usageErrors, requireIntegration, type UsageRoutesOptions } from './usage-shared.js';
import { tenantParamsSchema } from '../schemas.js';
import { z } from 'zod';

/** Rows per query while streaming CSV: small enough to start sending at once, large enough to be few. */
const CSV_PAGE_SIZE = 1000;

function filterOf(query: UsersQuery): UserFilter {
  return {
    statuses: query.status ?? [],
    groups: query.group ?? [],
    ...(query.inactiveForDays === undefined ? {} : { inactiveForDays: query.inactiveForDays }),
    ...(query.activeWithinDays === undefined ? {} : { activeWithinDays: query.activeWithinDays }),
    ...(query.enrolled === undefined ? {} : { enrolled: query.enrolled }),
    ...(query.search === undefined ? {} : { search: query.search }),
    ...(query.createdMoreThanDaysAgo === undefined ? {} : { createdMoreThanDaysAgo: query.createdMoreThanDaysAgo }),
    includeDeleted: query.includeDeleted ?? false,
    includeEventOnly: query.includeEventOnly ?? false,
  };
}

interface CsvExport {
  tenantId: string;
  filter: UserFilter;
  sort: UserSort;
  limit: number | undefined;
  after: UserKeyset | undefined;
  nowMs: number;
}

/** Header, then the rows page by page: each page is written as soon as Postgres answers it. */
async function* userCsvChunks(db: Queryable, spec: CsvExport): AsyncGenerator<string> {
  yield csvLine(userCsvColumns);
  let remaining = spec.limit ?? Number.POSITIVE_INFINITY;
  let after = spec.after;
  while (remaining > 0) {
    const page = await listUserUsage(db, spec.tenantId, spec.filter, spec.sort, { limit: Math.min(CSV_PAGE_SIZE, remaining), ...(after ? { after } : {}) }, spec.nowMs);
    yield page.users.map((user) => csvLine(userCsvValues(user))).join('');
    remaining -= page.users.length;
    if (!page.next) return;
    after = page.next;
  }
}

export const userUsageRoutes: FastifyPluginAsyncZod<UsageRoutesOptions> = async (app, { deps }) => {
  const now = () => deps.now?.() ?? Date.now();

  app.get(
    '/v1/tenants/:tenantId/duo/users',
    {
      schema: {
        summary: 'Duo users with their activity, filtered and keyset-paged; CSV with Accept: text/csv',
        description:
          "Filters combine with AND; repeated values of one filter with OR. Users known only from authentication events (not in Duo's user list) " +
          'and deleted users are left out unless includeEventOnly / includeDeleted. Activity is the newest successful authentication we hold ' +
          "or Duo's last_login, whichever is newer.",
        tags: ['usage'],
        params: tenantParamsSchema,
        querystring: usersQuerySchema,
        response: {
          200: {
            description: 'A page of users (JSON) or every matching user (CSV)',
            content: { 'application/json': { schema: userListSchema }, 'text/csv': { schema: usersCsvSchema } },
          },
          ...usageErrors,
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.params;
      const query = request.query;
      const nowMs = now();
      const filter = filterOf(query);
      const sort: UserSort = { field: query.sort ?? 'username', order: query.order ?? 'asc' };
      const sortName = `${sort.field}.${sort.order}`;
      const after = query.cursor ? { key: query.cursor.key, userId: query.cursor.userId } : undefined;
      if (prefersCsv(request.headers.accept)) {
        await requireIntegration(deps.db, tenantId);
        const stream = streamCsv(deps.db, { tenantId, filter, sort, limit: query.limit, after, nowMs }, (error) =>
          request.log.error({ err: error }, 'csv export failed'),
        );
        return sendCsv(reply, `duo-users-${tenantId}.csv`, stream);
      }
      const [, page, total] = await Promise.all([
        requireIntegration(deps.db, tenantId),
        listUserUsage(deps.db, tenantId, filter, sort, { limit: query.limit ?? DEFAULT_PAGE_SIZE, ...(after ? { after } : {}) }, nowMs),
        countUsers(deps.db, tenantId, filter, nowMs),
      ]);
      return { users: page.users, total, nextCursor: page.next ? encodeUserCursor(sortName, page.next) : null };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/duo/users/:userId/events',
    {
      schema: {
        summary: "One user's authentication events, newest first, keyset-paged",
        description: 'An unknown user id gives an empty list.',
        tags: ['usage'],
        params: z.object({ tenantId: tenantIdSchema, userId: userIdSchema }),
        querystring: eventsQuerySchema,
        response: {
          200: { description: 'A page of events', content: { 'application/json': { schema: userEventListSchema } } },
          ...usageErrors,
        },
      },
    },
    async (request) => {
      const { tenantId, userId } = request.params;
      const { from, to, limit, cursor } = request.query;
      const [, page] = await Promise.all([
        requireIntegration(deps.db, tenantId),
        listUserEvents(
          deps.db,
          tenantId,
          userId,
          { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
          { limit: limit ?? DEFAULT_PAGE_SIZE, ...(cursor ? { after: cursor } : {}) },
        ),
      ]);
      return { userId, events: page.events, nextCursor: page.next ? encodeEventCursor(page.next) : null };
    },
  );
};

/**
 * The route's typed reply only admits the JSON document or a string; a stream bypasses the
 * serializer altogether, so it goes out through the untyped reply.
 */
function sendCsv(reply: FastifyReply, filename: string, stream: Readable): FastifyReply {
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(stream);
}

/**
 * Streams the export from one read-only repeatable-read transaction, so every page sees the same
 * snapshot and a sync committing meanwhile cannot move a user between pages (seen twice or never).
 * Backpressure: the next page is read only once the client has taken the previous one.
 */
function streamCsv(db: UsageRoutesOptions['deps']['db'], spec: CsvExport, onError: (error: unknown) => void): PassThrough {
  const out = new PassThrough();
  db.transaction(
    async (tx) => {
      for await (const chunk of userCsvChunks(tx, spec)) {
        if (out.destroyed) return; // the client went away: stop reading
        if (!out.write(chunk)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
      }
      out.end();
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  ).catch((error: unknown) => {
    onError(error);
    out.destroy(error instanceof Error ? error : new Error('csv export failed'));
  });
  return out;
}
