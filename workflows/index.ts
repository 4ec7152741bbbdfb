// The workflow bundle's entry: each workflow, nothing else.
export { initialSync } from './initial-sync.js';
export { incrementalSync } from './incremental-sync.js';
export { deliverNotifications } from './notification-delivery.js';
export { tenantPurge } from './tenant-purge.js';
