/**
 * The dead-letter queue's consumer: any task whose message lands there (after the queue's maxReceiveCount, or sent
 * by the worker after the last attempt) is marked failed if it is not finished yet, so that no task stays queued or
 * running because its message died.
 */
import { TransitionConflictError } from "../domain/errors.ts";
import { isTerminal, TaskStatus } from "../domain/status.ts";
import type { TaskMessage } from "../ports.ts";
import type { Dependencies } from "./dependencies.ts";

export type DeadLetterOutcome = "failed" | "already_finished" | "still_alive" | "gone";

export async function handleDeadLetter(
  message: TaskMessage,
  receiveCount: number | undefined,
  deps: Pick<Dependencies, "store" | "clock" | "logger">,
): Promise<DeadLetterOutcome> {
  for (;;) {
    const task = await deps.store.get(message.id, deps.clock.now());
    if (!task || task.tenant !== message.tenant) return "gone";
    if (isTerminal(task.status)) return "already_finished";
    const now = deps.clock.now().getTime();
    const held = task.status === TaskStatus.Running && (task.leaseExpiresAt ?? 0) > now;
    const notDue = task.status === TaskStatus.Scheduled && task.runAt !== undefined && Date.parse(task.runAt) > now;
    // A live attempt records its own outcome (or the sweeper notices its death); a scheduled task gets a new message.
    if (held || notDue) return "still_alive";
    try {
      await deps.store.abandon(
        task,
        {
          code: "dead_lettered",
          message:
            `The task's message was moved to the dead-letter queue${receiveCount ? ` after ${receiveCount} deliveries` : ""} ` +
            "without the task finishing (its worker crashed or timed out on every delivery). Redrive it to try again.",
          retryable: false,
        },
        deps.clock.now(),
      );
      deps.logger.error("task failed: its message was dead-lettered", { taskId: task.id, type: task.type });
      return "failed";
    } catch (error) {
      if (!(error instanceof TransitionConflictError)) throw error;
      // It changed under us (progress, a late outcome): look again.
    }
  }
}
