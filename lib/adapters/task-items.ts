/** How a task is laid out as a DynamoDB item: the index keys derived from it, and the way back. */
import type { Task } from "../domain/task.ts";

/** Partition key of the `byTenantStatus` index: `<tenant>#<status>`. */
export function tenantStatusKey(tenant: string, status: string): string {
  return `${tenant}#${status}`;
}

/** Partition of the sparse `bySweepAt` index: only live tasks carry it. */
export const SWEEP_SHARD = "live";

/** An item back to a task, without the attributes that exist only for the indexes. */
export function taskFromItem(item: Record<string, unknown>): Task {
  const { tenantStatus: _status, sweepShard: _shard, ...task } = item;
  return task as unknown as Task;
}
