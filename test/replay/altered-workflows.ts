import { sleep } from '@temporalio/workflow';

/**
 * Deliberately incompatible versions of every workflow (a timer where each recorded history begins
 * by scheduling an activity): replaying any recorded history against them must fail, which proves
 * the replay test can.
 */
export async function initialSync(): Promise<void> {
  await sleep('1 minute');
}

export async function incrementalSync(): Promise<void> {
  await sleep('1 minute');
}

export async function deliverNotifications(): Promise<void> {
  await sleep('1 minute');
}
