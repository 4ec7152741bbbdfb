/**
 * `npm run bench:reconcile -- --tenants 1000`: what one schedule reconciliation pass costs (time, SQL
 * statements, Temporal calls) at N tenants, on a Temporal dev server of its own. Figures in
 * docs/BENCHMARKS.md (reconciliation pass) and docs/CAPACITY.md.
 */
import { parseArgs } from 'node:util';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';
import { runReconcile } from './scenarios/reconcile.js';

const { values } = parseArgs({
  options: {
    tenants: { type: 'string', default: '1000' },
    changed: { type: 'string', default: '10' },
    'temporal-address': { type: 'string' },
  },
});

const server = values['temporal-address'] ? undefined : await startTemporalDevServer();
try {
  const result = await runReconcile({
    tenants: Number(values.tenants),
    changed: Number(values.changed),
    temporalAddress: values['temporal-address'] ?? server?.address ?? '',
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await server?.stop();
}
