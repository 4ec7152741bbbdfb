// Workflow-sandbox code: `@temporalio/workflow` as the workflows would see it once every `patched()`
// check is deleted and only its new branch kept (test/helpers/workflow-bundles.ts aliases it in).
export * from '@temporalio/workflow/lib/index.js';

export function patched(_patchId: string): boolean {
  return true;
}
