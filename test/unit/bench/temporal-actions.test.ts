import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { countHistoryActions, type CountedEvent } from '../../../bench/lib/temporal-actions.js';

const recorded = async (name: string): Promise<CountedEvent[]> =>
  (JSON.parse(await readFile(`test/fixtures/histories/${name}.json`, 'utf8')) as { events: CountedEvent[] }).events;

describe('countHistoryActions (Temporal Cloud actions in a history)', () => {
  it('counts the step-by-step run recorded before the one-activity patch as a start and three activities', async () => {
    expect(countHistoryActions(await recorded('incremental-sync.before-incremental-one-activity'))).toMatchObject({ workflowStarts: 1, activities: 3, total: 4 });
  });

  it('counts the current common run as a start and one activity (patch markers are free)', async () => {
    expect(countHistoryActions(await recorded('incremental-sync.current'))).toMatchObject({ workflowStarts: 1, activities: 1, total: 2 });
  });

  it('bills every retry attempt of an activity', () => {
    const events: CountedEvent[] = [{ activityTaskScheduledEventAttributes: {} }, { activityTaskStartedEventAttributes: { attempt: 3 } }];
    expect(countHistoryActions(events)).toMatchObject({ activities: 3, total: 3 });
  });

  it('bills local activities once per workflow task that ran any', () => {
    const marker: CountedEvent = { markerRecordedEventAttributes: { markerName: 'core_local_activity' } };
    const taskDone: CountedEvent = { workflowTaskCompletedEventAttributes: {} };
    const patch: CountedEvent = { markerRecordedEventAttributes: { markerName: 'core_patch' } };
    expect(countHistoryActions([marker, marker, taskDone, patch, marker])).toMatchObject({ localActivityTasks: 2, total: 2 });
  });
});
