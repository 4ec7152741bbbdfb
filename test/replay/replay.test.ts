import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { workflowsEntry } from '../../worker/build-bundle.js';

// Workflow histories recorded from real runs (test/replay/record-histories.ts), replayed against the
// workflow code in this tree: a change that would break runs already in flight fails here, before a
// deploy, instead of as a stuck workflow task in production.
const historiesDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

interface RecordedHistory {
  /** The file name without `.json`: scenario and SDK version, e.g. `initial-sync.sdk-1.24.0`. */
  workflowId: string;
  history: ReturnType<typeof historyFromJSON>;
}

async function recordedHistories(): Promise<RecordedHistory[]> {
  const files = (await readdir(historiesDir)).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => ({
      workflowId: basename(file, '.json'),
      history: historyFromJSON(JSON.parse(await readFile(join(historiesDir, file), 'utf8'))),
    })),
  );
}

let current: WorkflowBundle;
let histories: RecordedHistory[];

beforeAll(async () => {
  // The negative case makes core warn about the non-determinism it is meant to provoke: errors only.
  Runtime.install({ logger: new DefaultLogger('WARN'), telemetryOptions: { logging: { forward: {}, filter: 'ERROR' } } });
  current = await bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: new DefaultLogger('WARN') });
  histories = await recordedHistories();
});

describe('recorded workflow histories', () => {
  it('include an initial sync and an incremental sync', () => {
    const scenarios = histories.map(({ workflowId }) => workflowId.split('.')[0]);
    expect(scenarios).toEqual(expect.arrayContaining(['initial-sync', 'incremental-sync']));
    for (const { history } of histories) expect(history.events?.length).toBeGreaterThan(10);
  });

  it('replay without non-determinism against the current workflow code', async () => {
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: current }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  });

  it('fail against workflow code that issues different commands', async () => {
    const altered = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./altered-workflows.ts', import.meta.url)),
      logger: new DefaultLogger('WARN'),
    });
    const initial = histories.find(({ workflowId }) => workflowId.startsWith('initial-sync.'));
    if (!initial) throw new Error('no recorded initial-sync history');
    await expect(Worker.runReplayHistory({ workflowBundle: altered }, initial.history, initial.workflowId)).rejects.toBeInstanceOf(
      DeterminismViolationError,
    );
  });
});
