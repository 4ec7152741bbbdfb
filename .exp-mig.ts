import { runMigrations } from './db/migrate.js';
const t0 = Date.now();
await runMigrations('postgres://postgres@127.0.0.1:5432/storage_mig');
console.log('migrated in', (Date.now() - t0) / 1000, 's');
