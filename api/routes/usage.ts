import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getSeatFigures, listUnusedApplications } from '../../db/account-facts.js';
import { listApplicationUsage } from '../../db/usage-applications.js';
import { getFreshness, type Freshness } from '../../db/usage-freshness.js';
import { listGroupUsage } from '../../db/usage-groups.js';
import { COUNT_WINDOWS_DAYS } from '../../db/usage-periods.js';
import { getUsageTotals } from '../../db/usage-totals.js';
import { TenantNotFoundError } from '../../errors/integration-errors.js';
import { tenantParamsSchema } from '../schemas/integration.js';
import {
  applicationListSchema,
  applicationsQuerySchema,
  DEFAULT_GRACE_DAYS,
  DEFAULT_THRESHOLDS,
  groupListSchema,
  groupsQuerySchema,
  usageQuerySchema,
  usageSchema,
} from '../schemas/usage.js';
import { usageErrors, type UsageDeps, type UsageRoutesOptions } from './usage-shared.js';
import { streamEventRoutes } from './stream-events.js';
import { userEventRoutes } from './usage-events.js';
import { userUsageRoutes } from './usage-users.js';

async function freshnessOrNotFound(deps: UsageDeps, tenantId: string, thresholds: number[], nowMs: number): Promise<Freshness> {
  const freshness = await getFreshness(deps.db, tenantId, thresholds, nowMs);
  if (!freshness) throw new TenantNotFoundError(tenantId);
  return freshness;
}

/** The users query listing the reclaim candidates (always status active), with the groups the summary was asked for. */
function reclaimQuery(inactiveDays: number, graceDays: number, groups: string[]): string {
  const query = new URLSearchParams({ status: 'active', inactiveForDays: String(inactiveDays), createdMoreThanDaysAgo: String(graceDays) });
  for (const group of groups) query.append('group', group);
  return query.toString();
}

/**
 * The usage API: who is active, who holds an idle licence, per group and per application. Every
 * answer is read from ingest-maintained rollups and duo_users; handlers only parse, call and shape.
 */
export const usageRoutes: FastifyPluginAsyncZod<UsageRoutesOptions> = async (app, { deps }) => {
  const now = () => deps.now?.() ?? Date.now();
  await app.register(userUsageRoutes, { deps });
  await app.register(userEventRoutes, { deps });
  await app.register(streamEventRoutes, { deps });

  app.get(
    '/v1/tenants/:tenantId/duo/usage',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: 'Totals by status and group, active/inactive per threshold, licence-reclaim candidates, data freshness',
        tags: ['usage'],
        params: tenantParamsSchema,
        querystring: usageQuerySchema,
        response: { 200: { description: 'The usage summary', content: { 'application/json': { schema: usageSchema } } }, ...usageErrors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      const thresholds = request.query.thresholds ?? DEFAULT_THRESHOLDS;
      const graceDays = request.query.graceDays ?? DEFAULT_GRACE_DAYS;
      const nowMs = now();
      const [freshness, totals, groups, seats] = await Promise.all([
        freshnessOrNotFound(deps, tenantId, thresholds, nowMs),
        getUsageTotals(deps.db, tenantId, { thresholdDays: thresholds, graceDays, groups: request.query.group ?? [], statuses: request.query.status ?? [] }, nowMs),
        listGroupUsage(deps.db, tenantId, { includeDeleted: false }, nowMs),
        getSeatFigures(deps.db, tenantId),
      ]);
      const inactiveDays = Math.max(...thresholds);
      return {
        users: totals.users,
        byStatus: totals.byStatus,
        byGroup: groups.map((g) => ({ groupId: g.groupId, name: g.name, members: g.members, active30d: g.activeMembers.d30 })),
        thresholds: totals.thresholds,
        reclaimCandidates: {
          count: totals.reclaimCandidates,
          inactiveDays,
          graceDays,
          usersQuery: reclaimQuery(inactiveDays, graceDays, request.query.group ?? []),
        },
        seats,
        freshness,
      };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/duo/applications',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: 'Per application: distinct active users and authentications over 30/60/90 days, optionally for one group',
        tags: ['usage'],
        params: tenantParamsSchema,
        querystring: applicationsQuerySchema,
        response: {
          200: { description: 'Applications, most used first', content: { 'application/json': { schema: applicationListSchema } } },
          ...usageErrors,
        },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      const nowMs = now();
      const unusedDays = Math.max(...COUNT_WINDOWS_DAYS);
      const [freshness, answer, unused] = await Promise.all([
        freshnessOrNotFound(deps, tenantId, [...COUNT_WINDOWS_DAYS], nowMs),
        listApplicationUsage(deps.db, tenantId, { groups: request.query.group ?? [] }, nowMs),
        listUnusedApplications(deps.db, tenantId, unusedDays, nowMs),
      ]);
      return { ...answer, unused: unused ? { ...unused, days: unusedDays } : null, freshness };
    },
  );

  app.get(
    '/v1/tenants/:tenantId/duo/groups',
    {
      config: { scope: 'usage:read' },
      schema: {
        summary: 'Groups with member counts and active-member counts over 30/60/90 days',
        tags: ['usage'],
        params: tenantParamsSchema,
        querystring: groupsQuerySchema,
        response: { 200: { description: 'Groups by name', content: { 'application/json': { schema: groupListSchema } } }, ...usageErrors },
      },
    },
    async (request) => {
      const { tenantId } = request.params;
      const nowMs = now();
      const [freshness, groups] = await Promise.all([
        freshnessOrNotFound(deps, tenantId, [...COUNT_WINDOWS_DAYS], nowMs),
        listGroupUsage(deps.db, tenantId, { includeDeleted: request.query.includeDeleted ?? false }, nowMs),
      ]);
      return { groups, freshness };
    },
  );
};
