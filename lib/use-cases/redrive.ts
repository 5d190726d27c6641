/**
 * Redrive: give failed tasks a fresh attempt budget and queue them again — one task, or every failed task of a type.
 * The task's history records it. (Failed tasks are found through the per-tenant status index, not a scan.)
 */
import { ConflictError, NotFoundError, TransitionConflictError } from "../domain/errors.ts";
import { TaskStatus } from "../domain/status.ts";
import type { Task } from "../domain/task.ts";
import type { TaskListKey } from "../task-queries.ts";
import type { Dependencies } from "./dependencies.ts";
import { findTask } from "./find-task.ts";

export async function redriveTask(
  id: string,
  deps: Pick<Dependencies, "store" | "queue" | "clock" | "logger" | "taskTypes">,
  options: { tenant: string },
): Promise<Task> {
  const task = await findTask(id, deps, options.tenant);
  if (task.status !== TaskStatus.Failed) {
    throw new ConflictError("task_not_failed", `Only failed tasks can be redriven; task ${id} is ${task.status}.`, {
      status: task.status,
    });
  }
  const attempts = deps.taskTypes.find(task.type)?.retry.maxAttempts ?? task.maxAttempts;
  let redriven: Task;
  try {
    redriven = await deps.store.redrive(task, attempts, deps.clock.now());
  } catch (error) {
    if (error instanceof TransitionConflictError) {
      throw new ConflictError("task_not_failed", `Task ${id} changed while being redriven; look at it again.`);
    }
    throw error;
  }
  // Should this send fail, the sweeper finds the queued task and sends it.
  await deps.queue.send({ id: task.id, tenant: task.tenant, type: task.type }).catch((error: unknown) => {
    deps.logger.warn("redrive: send failed; the sweeper will queue the task", { taskId: id, error });
  });
  deps.logger.info("task redriven", { taskId: id, type: task.type, attempts });
  return redriven;
}

export interface RedriveSummary {
  readonly redriven: number;
  readonly ids: string[];
}

/** Redrives every failed task of the tenant (of one type, if given), newest first, up to `limit` per call. */
export async function redriveFailed(
  deps: Pick<Dependencies, "store" | "queries" | "queue" | "clock" | "logger" | "taskTypes">,
  options: { tenant: string; type?: string | undefined; limit?: number },
): Promise<RedriveSummary> {
  const ids: string[] = [];
  const limit = options.limit ?? 1000;
  const { tenant } = options;
  let startKey: TaskListKey | undefined;
  do {
    const page = await deps.queries.list({ tenant, status: TaskStatus.Failed, type: options.type, limit: 100, startKey });
    for (const task of page.tasks) {
      if (ids.length >= limit) return { redriven: ids.length, ids };
      try {
        await redriveTask(task.id, deps, { tenant });
        ids.push(task.id);
      } catch (error) {
        // Raced with another redrive or the task expired: skip it.
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
      }
    }
    startKey = page.lastKey;
  } while (startKey);
  return { redriven: ids.length, ids };
}
