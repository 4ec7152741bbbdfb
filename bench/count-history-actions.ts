import { readFile } from 'node:fs/promises';
import { countHistoryActions, type CountedEvent } from './lib/temporal-actions.js';

/**
 * Billable Temporal actions of recorded histories (the JSON of `temporal workflow show -o json`, the
 * UI's export, or test/fixtures/histories/*.json), one line per file, plus a scheduled run's
 * per-day figure at the default 5-minute interval (one schedule action per run added).
 * Usage: npx tsx bench/count-history-actions.ts <history.json>...
 */
const RUNS_PER_DAY = 1440 / 5;

for (const file of process.argv.slice(2)) {
  const history = JSON.parse(await readFile(file, 'utf8')) as { events?: CountedEvent[] };
  const count = countHistoryActions(history.events ?? []);
  const perRun = count.total + 1;
  console.log(JSON.stringify({ file, ...count, withScheduleAction: perRun, perTenantDayAtFiveMinutes: perRun * RUNS_PER_DAY }));
}
