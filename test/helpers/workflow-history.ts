import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils.js';

/** Reading workflow histories: the committed recordings and histories fetched from a test's server. */

export type { History };

export const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

export interface RecordedHistory {
  /** The file name without `.json`: `<scenario>.<generation>`, e.g. `initial-sync.current`. */
  name: string;
  scenario: string;
  generation: string;
  history: History;
}

/** Every history in test/fixtures/histories/, by file name. */
export async function recordedHistories(): Promise<RecordedHistory[]> {
  const files = (await readdir(historiesDir)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const name = basename(file, '.json');
      const [scenario = '', ...rest] = name.split('.');
      const history = historyFromJSON(JSON.parse(await readFile(join(historiesDir, file), 'utf8')));
      return { name, scenario, generation: rest.join('.'), history };
    }),
  );
}

/** The one recorded history with this name; fails loudly when it is missing. */
export async function recordedHistory(name: string): Promise<RecordedHistory> {
  const found = (await recordedHistories()).find((recorded) => recorded.name === name);
  if (!found) throw new Error(`no recorded history ${name}.json in ${historiesDir}`);
  return found;
}

export function workflowType(history: History): string {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '';
}

/** Each activity the workflow scheduled, in order, with the task queue it was scheduled on. */
export function scheduledActivities(history: History): { type: string; taskQueue: string }[] {
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    return scheduled ? [{ type: scheduled.activityType?.name ?? '', taskQueue: scheduled.taskQueue?.name ?? '' }] : [];
  });
}

/** The workflow's own task queue, from its start event. */
export function workflowTaskQueue(history: History): string {
  return history.events?.[0]?.workflowExecutionStartedEventAttributes?.taskQueue?.name ?? '';
}

/** The ids of the `patched()` calls that took the new branch (each leaves a marker in history). */
export function patchMarkers(history: History): string[] {
  return (history.events ?? []).flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const payload = marker?.details?.["patch-data"]?.payloads?.[0];
    if (marker?.markerName !== 'core_patch' || !payload) return [];
    const { id } = defaultPayloadConverter.fromPayload<{ id: string }>(payload);
    return [id];
  });
}

/** The first argument the run was started with (for a continued run: what the previous run carried over). */
export function startInput<T>(history: History): T {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error('the history has no start input');
  return defaultPayloadConverter.fromPayload<T>(payload);
}

/** The run this one continued as, if it ended by continuing as new. */
export function continuedAs(history: History | undefined): string | undefined {
  const last = history?.events?.[history.events.length - 1];
  return last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
}

/**
 * Every string in a value (a history, a description), byte fields decoded as UTF-8: payloads are
 * bytes, so a search of JSON.stringify(history) would only see them as lists of numbers.
 */
export function textOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') out.push(String(value));
  else if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (value instanceof Date) out.push(value.toISOString());
  else if (value instanceof Map) for (const [k, v] of value) textOf([k, v], out);
  else if (Array.isArray(value)) for (const item of value) textOf(item, out);
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) textOf([k, v], out);
  return out;
}
