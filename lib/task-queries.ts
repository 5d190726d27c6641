/**
 * The read side of the task table: listing a tenant's tasks through its indexes. A port of its own, apart from
 * TaskStore (whose every method is a guarded write or a consistent single read).
 */
import type { TaskStatus } from "./domain/status.ts";
import type { Task } from "./domain/task.ts";

/** An index position, as DynamoDB's LastEvaluatedKey gives it: string attributes only (id, tenant, tenantStatus). */
export type TaskListKey = Readonly<Record<string, string>>;

export interface TaskListQuery {
  readonly tenant: string;
  /** Only this status: served by the `byTenantStatus` index; otherwise `byTenant`. */
  readonly status?: TaskStatus | undefined;
  /** Only this type: a FilterExpression on the index query (items of other types are read, then dropped). */
  readonly type?: string | undefined;
  /** At most this many tasks. */
  readonly limit: number;
  /** Continue after this position (a previous page's `lastKey`). */
  readonly startKey?: TaskListKey | undefined;
}

export interface TaskListPage {
  /** Newest first. */
  readonly tasks: readonly Task[];
  /** Where the next page starts; undefined when there is nothing more. */
  readonly lastKey?: TaskListKey | undefined;
}

export interface TaskQueries {
  list(query: TaskListQuery): Promise<TaskListPage>;
  /** The tenant's live (not finished) tasks, counted up to `atMost` (counting stops there). */
  countLive(tenant: string, atMost: number): Promise<number>;
}
