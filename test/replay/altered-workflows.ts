import { sleep } from '@temporalio/workflow';

/**
 * A deliberately incompatible `initialSync` (a timer where the recorded history scheduled an
 * activity): replaying a recorded history against it must fail, which proves the replay test can.
 */
export async function initialSync(): Promise<void> {
  await sleep('1 minute');
}
