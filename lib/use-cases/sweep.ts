/**
 * The sweeper (a scheduled function, every minute): finds live tasks that no worker has seen for longer than they
 * should have — a worker died holding the task (its lease ended), the record was written but its message was never
 * sent or was lost, a retry's message vanished — and sends their message again. It also queues tasks scheduled
 * further ahead than SQS can delay a message, once they are within 15 minutes of their run time.
 *
 * Which tasks it reads is the index key `sweepAt` (lib/domain/lifecycle.ts): a running task's lease end, a lease's
 * length after a task should have started, `strandedAfterSeconds` after a re-send. Bound (lib/domain/lease.ts): a
 * dead worker's task, or one written without its message, runs again within 2 × heartbeatSeconds + 5 s + the sweep
 * interval + the message's wait. Re-sending is safe: the worker's guarded claim makes extra messages harmless.
 */
import { TransitionConflictError } from "../domain/errors.ts";
import { MAX_SQS_DELAY_MS } from "../domain/lifecycle.ts";
import { isTerminal, TaskStatus } from "../domain/status.ts";
import type { Dependencies } from "./dependencies.ts";

export interface SweepReport {
  readonly examined: number;
  readonly resent: number;
  readonly skipped: number;
}

export async function sweep(
  deps: Pick<Dependencies, "store" | "queue" | "clock" | "logger">,
  options: { limit?: number; timeBudgetMs?: number } = {},
): Promise<SweepReport> {
  const started = Date.now();
  const limit = options.limit ?? 500;
  let examined = 0;
  let resent = 0;
  let skipped = 0;
  for await (const id of deps.store.dueForSweep(deps.clock.now())) {
    if (examined >= limit || Date.now() - started > (options.timeBudgetMs ?? 45_000)) break;
    examined++;
    const now = deps.clock.now();
    const task = await deps.store.get(id, now);
    if (!task || isTerminal(task.status)) {
      skipped++;
      continue;
    }
    if (task.status === TaskStatus.Running && (task.leaseExpiresAt ?? 0) > now.getTime()) {
      skipped++; // heartbeats moved its lease on; the index will catch up at the next write
      continue;
    }
    const runAt = task.runAt ? Date.parse(task.runAt) : 0;
    const wait = Math.max(0, runAt - now.getTime());
    if (wait > MAX_SQS_DELAY_MS) {
      skipped++;
      continue;
    }
    const note =
      task.status === TaskStatus.Scheduled && wait > 0
        ? "queued by the sweeper for its run time"
        : task.status === TaskStatus.Running
          ? `message re-sent by the sweeper (the lease of attempt ${task.attempt} ended: its worker stopped)`
          : `message re-sent by the sweeper (no worker had it; ${task.status})`;
    try {
      // Recorded first, guarded by the version read: of two sweepers, only one sends.
      await deps.store.markResent(task, now, note);
    } catch (error) {
      if (error instanceof TransitionConflictError) {
        skipped++;
        continue;
      }
      throw error;
    }
    await deps.queue.send(
      { id: task.id, tenant: task.tenant, type: task.type },
      wait > 0 ? { delaySeconds: Math.ceil(wait / 1000) } : {},
    );
    resent++;
    deps.logger.warn("sweeper re-sent a task's message", { taskId: task.id, type: task.type, status: task.status });
  }
  return { examined, resent, skipped };
}
