import type { Permission } from '../spec.js';
import type { EndpointClass } from '../stats.js';
import { listAdminLogs } from './admin-log.js';
import type { Handler } from './context.js';
import { accountSummary } from './info.js';
import { listApplications, listGroups, listUsers } from './objects.js';
import { listActivityLogs, listAuthLogs, listTelephonyLogs } from './v2-logs.js';

export interface Route {
  endpointClass: Exclude<EndpointClass, 'other'>;
  permission: Permission;
  handler: Handler;
  /** Endpoints Duo serves only to signature v5 (integrators report this for the v3 applications list). */
  signature?: 'v5';
}

/** The Admin API endpoints the simulator serves (all GET), with the grant each needs. */
export const routes: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/admin/v1/users', { endpointClass: 'object', permission: 'readResource', handler: listUsers }],
  ['/admin/v1/groups', { endpointClass: 'object', permission: 'readResource', handler: listGroups }],
  ['/admin/v2/logs/authentication', { endpointClass: 'log', permission: 'readLog', handler: listAuthLogs }],
  ['/admin/v2/logs/activity', { endpointClass: 'log', permission: 'readLog', handler: listActivityLogs }],
  ['/admin/v2/logs/telephony', { endpointClass: 'log', permission: 'readLog', handler: listTelephonyLogs }],
  ['/admin/v1/logs/administrator', { endpointClass: 'log', permission: 'readLog', handler: listAdminLogs }],
  ['/admin/v1/info/summary', { endpointClass: 'info', permission: 'readInformation', handler: accountSummary }],
  ['/admin/v3/integrations', { endpointClass: 'object', permission: 'readApplications', handler: listApplications, signature: 'v5' }],
]);
