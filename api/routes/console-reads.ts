import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getUserAliases, listDailyActiveUsers, listRecentRuns } from '../../db/console-reads.js';
import { requireIntegration } from '../../db/integrations.js';
import { listUserUsage } from '../../db/usage-users.js';
import { UserNotFoundError } from '../../errors/integration-errors.js';
import { tenantParamsSchema } from '../schemas/integration.js';
import {
  dailyActiveUsersQuerySchema,
  dailyActiveUsersSchema,
  DEFAULT_RUNS,
  DEFAULT_SERIES_DAYS,
  runListSchema,
  runsQuerySchema,
  userDetailSchemaExtras,
} from '../schemas/console.js';
import { userParamsSchema, userUsageSchema } from '../schemas/usage.js';
import { usageErrors, type UsageRoutesOptions } from './usage-shared.js';

const userDetailSchema = userUsageSchema.extend(userDetailSchemaExtras.shape).meta({ id: 'DuoUserDetail' });

/**
 * Read routes the web console needs beyond the usage API: a daily active-users series for the usage
 * chart, one user's page, and the tenant's run log. Handlers only parse, call and shape.
 */
export const consoleReadRoutes: FastifyPluginAsyncZod<UsageRoutesOptions> = async (app, { deps }) => {
  const now = () => deps.now?.() ?? Date.now();

  app.get(
    '/v1/tenants/:tenantId/duo/daily-active-users',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: 'Distinct users with a successful authentication per UTC day, optionally for some groups',
        tags: ['usage'],
        params: tenantParamsSchema,
        querystring: dailyActiveUsersQuerySchema,
        response: { 200: { description: 'The series', content: { 'application/json': { schema: dailyActiveUsersSchema } } }, ...usageErrors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      const options = { days: request.query.days ?? DEFAULT_SERIES_DAYS, groups: request.query.group ?? [] };
      const [, days] = await Promise.all([requireIntegration(deps.db, tenantId), listDailyActiveUsers(deps.db, tenantId, options, now())]);
      return { days };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/duo/users/:userId',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: 'One user with groups, aliases, enrolment and activity (deleted and event-only users included)',
        tags: ['usage'],
        params: userParamsSchema,
        response: { 200: { description: 'The user', content: { 'application/json': { schema: userDetailSchema } } }, ...usageErrors },
      },
    },
    async (request) => {
      const { tenantId, userId } = request.params;
      const filter = { statuses: [], groups: [], includeDeleted: true, includeEventOnly: true, userIds: [userId] };
      const sort = { field: 'username', order: 'asc' } as const;
      const [, page, aliases] = await Promise.all([
        requireIntegration(deps.db, tenantId),
        listUserUsage(deps.db, tenantId, filter, sort, { limit: 1 }, now()),
        getUserAliases(deps.db, tenantId, userId),
      ]);
      const [user] = page.users;
      if (!user || !aliases) throw new UserNotFoundError(tenantId, userId);
      return { ...user, aliases };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/integrations/duo/runs',
    {
      config: { scope: 'integrations:read' },
      schema: {
        summary: 'The newest sync runs (initial, incremental, roster) with their outcome and failure',
        tags: ['integrations'],
        params: tenantParamsSchema,
        querystring: runsQuerySchema,
        response: { 200: { description: 'Runs, newest first', content: { 'application/json': { schema: runListSchema } } }, ...usageErrors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      const [, runs] = await Promise.all([
        requireIntegration(deps.db, tenantId),
        listRecentRuns(deps.db, tenantId, request.query.limit ?? DEFAULT_RUNS),
      ]);
      return { runs };
    },
  );
};
