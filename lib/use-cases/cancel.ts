/**
 * Cancel a task: a scheduled, queued or retrying task never starts; a running one is marked cancelled at once and its
 * attempt sees its AbortSignal fire at its next heartbeat or progress write, and its outcome is discarded.
 */
import { ConflictError, TransitionConflictError } from "../domain/errors.ts";
import { isTerminal } from "../domain/status.ts";
import type { Task } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";
import { findTask } from "./find-task.ts";

/** Version conflicts (a progress write landing between our read and our write) are retried this many times. */
const ATTEMPTS = 5;

export async function cancelTask(
  id: string,
  deps: Pick<Dependencies, "store" | "clock" | "logger">,
  options: { tenant: string },
): Promise<Task> {
  for (let attempt = 1; ; attempt++) {
    const task = await findTask(id, deps, options.tenant);
    if (isTerminal(task.status)) {
      throw new ConflictError("task_finished", `Task ${id} has already finished (${task.status}); nothing to cancel.`, {
        status: task.status,
      });
    }
    try {
      const cancelled = await deps.store.cancel(task, deps.clock.now());
      deps.logger.info("task cancelled", { taskId: id, type: task.type, from: task.status });
      return cancelled;
    } catch (error) {
      if (!(error instanceof TransitionConflictError) || attempt >= ATTEMPTS) throw error;
    }
  }
}
