import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireIntegration } from '../../db/integrations.js';
import type { UserFilter } from '../../db/usage-user-filter.js';
import { countUsers, listUserUsage, type UserSort } from '../../db/usage-users.js';
import { tenantParamsSchema } from '../schemas/integration.js';
import {
  DEFAULT_PAGE_SIZE,
  encodeUserCursor,
  userListSchema,
  usersCsvSchema,
  usersQuerySchema,
  type UsersQuery,
} from '../schemas/usage.js';
import { HttpRefusal } from '../http-errors.js';
import { prefersCsv, sendCsv, streamUserCsv } from './usage-csv.js';
import { usageErrors, type UsageRoutesOptions } from './usage-shared.js';

/** An export usually finishes within seconds; the client may try again after this long. */
const CSV_RETRY_AFTER_SECONDS = 5;

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

export const userUsageRoutes: FastifyPluginAsyncZod<UsageRoutesOptions> = async (app, { deps }) => {
  const now = () => deps.now?.() ?? Date.now();

  app.get(
    '/v1/tenants/:tenantId/duo/users',
    {
      config: { scope: 'usage:read' },
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
        const release = deps.csvExports.acquire(request.principal?.keyId ?? request.ip);
        if (!release) {
          throw new HttpRefusal(
            429,
            'TOO_MANY_EXPORTS',
            `This key already streams ${deps.csvExports.perKey} CSV exports; retry when one has finished`,
            { exportsPerKey: deps.csvExports.perKey },
            { 'retry-after': String(CSV_RETRY_AFTER_SECONDS) },
          );
        }
        const stream = streamUserCsv(deps.db, { tenantId, filter, sort, limit: query.limit, after, nowMs }, (error) =>
          request.log.error({ err: error }, 'csv export failed'),
        );
        // Finished, failed or abandoned by the client: each ends in close.
        stream.once('close', release);
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
};
