import type { Client } from '@temporalio/client';

export interface HistoryFigures {
  /** Events in the largest single run's history (each continue-as-new run counts on its own). */
  maxHistoryEvents: number;
  runs: number;
  largest: { workflowId: string; runId: string; events: number } | undefined;
}

/**
 * Every run (initial sync and its continue-as-new runs, incremental runs) visible for a query such
 * as `TenantId = "acme"` or `TaskQueue = "bench-…"`, with its full history fetched and counted.
 */
export async function largestHistory(client: Client, query: string): Promise<HistoryFigures> {
  let largest: HistoryFigures['largest'];
  let runs = 0;
  for await (const info of client.workflow.list({ query })) {
    runs++;
    const history = await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    const events = history.events?.length ?? 0;
    if (!largest || events > largest.events) largest = { workflowId: info.workflowId, runId: info.runId, events };
  }
  return { maxHistoryEvents: largest?.events ?? 0, runs, largest };
}
