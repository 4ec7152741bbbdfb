import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../helpers/workflow-bundles.js';
import { installQuietRuntime } from '../helpers/workflow-environment.js';
import { recordedHistories, workflowType, type RecordedHistory } from '../helpers/workflow-history.js';

// Workflow histories recorded from real runs (test/replay/record-histories.ts), replayed against the
// workflow code in this tree: a change that would break runs already in flight fails here, before a
// deploy, instead of as a stuck workflow task in production. `*.current.json` were recorded on the
// code as it is; `*.before-<patch-id>.json` before that patch, kept while such runs may be open.

let current: WorkflowBundle;
let histories: RecordedHistory[];

beforeAll(async () => {
  // The negative case makes core warn about the non-determinism it is meant to provoke: errors only.
  installQuietRuntime();
  [current, histories] = await Promise.all([bundleWorkflows(), recordedHistories()]);
});

/** Replays every recorded history on `workflowBundle`: each history's name with its error, if any. */
async function replayAll(workflowBundle: WorkflowBundle): Promise<{ name: string; error: unknown }[]> {
  const results: { name: string; error: unknown }[] = [];
  const named = histories.map(({ name, history }) => ({ workflowId: name, history }));
  for await (const result of Worker.runReplayHistories({ workflowBundle }, named)) results.push({ name: result.workflowId, error: result.error });
  return results;
}

describe('recorded workflow histories', () => {
  it('include each workflow recorded on today\'s code', () => {
    const current = histories.filter((recorded) => recorded.generation === 'current').map((recorded) => workflowType(recorded.history));
    expect(new Set(current)).toEqual(new Set(['initialSync', 'incrementalSync', 'deliverNotifications']));
    for (const { history } of histories) expect(history.events?.length).toBeGreaterThan(10);
  });

  it('replay without non-determinism against the current workflow code', async () => {
    const results = await replayAll(current);
    expect(results.filter((result) => result.error).map(({ name, error }) => `${name}: ${String(error)}`)).toEqual([]);
    expect(results.map((result) => result.name).sort()).toEqual(histories.map((recorded) => recorded.name).sort());
  });

  it('each fail against workflow code that issues different commands', async () => {
    const altered = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./altered-workflows.ts', import.meta.url)),
      logger: new DefaultLogger('WARN'),
    });
    const results = await replayAll(altered);
    expect(results.map((result) => result.name).sort()).toEqual(histories.map((recorded) => recorded.name).sort());
    for (const { name, error } of results) expect(error, name).toBeInstanceOf(DeterminismViolationError);
  });
});
