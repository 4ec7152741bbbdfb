import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { instrumentBudget, metricsRegistry, recordEventsIngested } from '../../../observability/metrics.js';
import type { RequestBudget, RequestOutcome } from '../../../duo/request-budget.js';

/** A sample's value by its exposed name (`…_count`, `…_sum` for histograms) and labels; 0 when absent. */
async function value(name: string, labels: Record<string, string>): Promise<number> {
  for (const metric of await metricsRegistry.getMetricsAsJSON()) {
    const sample = metric.values.find(
      (candidate) =>
        ('metricName' in candidate && typeof candidate.metricName === 'string' ? candidate.metricName : metric.name) === name &&
        Object.entries(labels).every(([key, label]) => candidate.labels[key] === label),
    );
    if (sample) return sample.value;
  }
  return 0;
}

describe('instrumentBudget', () => {
  it('counts every reported attempt by endpoint class and outcome and passes the report on', async () => {
    const reported: Array<[string, RequestOutcome]> = [];
    const budget = instrumentBudget({ acquire: async () => {}, report: (endpointClass, outcome) => void reported.push([endpointClass, outcome]) });
    const before = await value('duo_sync_duo_requests_total', { endpoint_class: 'log', outcome: 'rate_limited' });
    await budget.report('log', 'rate_limited');
    await budget.report('object', 'ok');
    expect(reported).toEqual([['log', 'rate_limited'], ['object', 'ok']]);
    expect(await value('duo_sync_duo_requests_total', { endpoint_class: 'log', outcome: 'rate_limited' })).toBe(before + 1);
  });

  it('observes the time acquire waited for the shared budget', async () => {
    const slow: RequestBudget = { acquire: () => sleep(60), report: () => {} };
    const before = await value('duo_sync_rate_budget_wait_seconds_count', { endpoint_class: 'object' });
    await instrumentBudget(slow).acquire('object');
    expect(await value('duo_sync_rate_budget_wait_seconds_count', { endpoint_class: 'object' })).toBe(before + 1);
    expect(await value('duo_sync_rate_budget_wait_seconds_sum', { endpoint_class: 'object' })).toBeGreaterThanOrEqual(0.05);
  });

  it('keeps a wait that was aborted out of the histogram and rethrows', async () => {
    const aborted: RequestBudget = { acquire: async () => { throw new Error('aborted'); }, report: () => {} };
    const before = await value('duo_sync_rate_budget_wait_seconds_count', { endpoint_class: 'log' });
    await expect(instrumentBudget(aborted).acquire('log')).rejects.toThrow('aborted');
    expect(await value('duo_sync_rate_budget_wait_seconds_count', { endpoint_class: 'log' })).toBe(before);
  });
});

describe('recordEventsIngested', () => {
  it('adds newly stored rows per stream and ignores empty pages', async () => {
    const before = await value('duo_sync_events_ingested_total', { stream: 'telephony' });
    recordEventsIngested('telephony', 250);
    recordEventsIngested('telephony', 0);
    expect(await value('duo_sync_events_ingested_total', { stream: 'telephony' })).toBe(before + 250);
  });
});

describe('metricsRegistry', () => {
  it('labels our metrics with closed sets only: no tenant, host, key or path', async () => {
    const labelNames = new Set<string>();
    for (const metric of await metricsRegistry.getMetricsAsJSON()) {
      if (!metric.name.startsWith('duo_sync_')) continue;
      for (const sample of metric.values) for (const label of Object.keys(sample.labels)) labelNames.add(label);
    }
    expect([...labelNames].sort()).toEqual(expect.arrayContaining(['endpoint_class']));
    for (const label of labelNames) expect(['endpoint_class', 'outcome', 'stream', 'le', 'method', 'route', 'status_code']).toContain(label);
  });
});
