/**
 * The lifecycle of a task as pure functions: whether a transition may happen, and the field changes it makes
 * (status, attempt, lease, timestamps, history, and when the sweeper should next look at the task).
 * The store applies a change in ONE conditional write, guarded by the task's version or the attempt's lease.
 */
import type { TaskErrorInfo } from "./errors.ts";
import { DEFAULT_HEARTBEAT_SECONDS, leaseMs } from "./lease.ts";
import { canTransition, isTerminal, TaskStatus } from "./status.ts";
import { MAX_HISTORY_EVENTS, type Task, type TaskEvent, type TaskProgress } from "./task.ts";

/** Field changes of one write. `null` in `set` is stored as null; fields in `remove` are deleted. */
export interface Change {
  readonly set: Readonly<Record<string, unknown>>;
  readonly remove: readonly string[];
}

export interface Lease {
  readonly token: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/**
 * When the sweeper looks at a live task (its `sweepAt`). A running task: the moment its lease ends, so that a dead
 * worker's task is taken over at once. A task that should start (queued at its creation, a due scheduled one, a
 * retry at its retry time): a lease's length after that, the same wait as a dead worker's task. A task whose message
 * the sweeper has just re-sent: `strandedAfterMs` later (it may simply be waiting in a backlog).
 */
export interface LifecycleTiming {
  /** A running attempt's lease (lease.ts `leaseMs`): two heartbeats and a margin. */
  readonly leaseMs: number;
  /** After a re-send, how long before the sweeper looks at the task again. */
  readonly strandedAfterMs: number;
}

export const DEFAULT_TIMING: LifecycleTiming = Object.freeze({
  leaseMs: leaseMs(DEFAULT_HEARTBEAT_SECONDS),
  strandedAfterMs: 5 * 60_000,
});

/** The timing of a deployment's settings. */
export function lifecycleTiming(settings: { heartbeatSeconds: number; strandedAfterSeconds: number }): LifecycleTiming {
  return { leaseMs: leaseMs(settings.heartbeatSeconds), strandedAfterMs: settings.strandedAfterSeconds * 1000 };
}

/** SQS's ceiling for DelaySeconds: a scheduled task further out than this gets its message from the sweeper. */
export const MAX_SQS_DELAY_MS = 15 * 60_000;

export type ClaimRefusal =
  | { readonly reason: "finished" }
  | { readonly reason: "held"; readonly until: number }
  | { readonly reason: "not_due"; readonly runAt: number }
  | { readonly reason: "exhausted" };

/** Whether a delivery may start an attempt now, and if not, why. */
export function claimRefusal(task: Task, now: Date): ClaimRefusal | undefined {
  if (isTerminal(task.status)) return { reason: "finished" };
  if (task.status === TaskStatus.Running && (task.leaseExpiresAt ?? 0) > now.getTime()) {
    return { reason: "held", until: task.leaseExpiresAt ?? now.getTime() };
  }
  if (task.status === TaskStatus.Scheduled && task.runAt && Date.parse(task.runAt) > now.getTime()) {
    return { reason: "not_due", runAt: Date.parse(task.runAt) };
  }
  if (task.attempt >= task.maxAttempts) return { reason: "exhausted" };
  return undefined;
}

export function claimChange(task: Task, lease: Lease, now: Date, timing: LifecycleTiming): Change {
  const attempt = task.attempt + 1;
  return transition(task, TaskStatus.Running, now, timing, {
    set: {
      attempt,
      leaseToken: lease.token,
      leaseExpiresAt: lease.expiresAt,
      startedAt: now.toISOString(),
      sweepAt: lease.expiresAt,
    },
    // A resumed task keeps its progress; a fresh attempt starts from nothing.
    remove: task.checkpoint === undefined ? ["nextRunAt", "progress"] : ["nextRunAt"],
    attempt,
  });
}

export function completeChange(task: Task, result: unknown, now: Date, timing: LifecycleTiming): Change {
  return transition(task, TaskStatus.Succeeded, now, timing, {
    set: { result: result ?? null, progress: { percent: 100 }, finishedAt: now.toISOString() },
    remove: ["leaseToken", "leaseExpiresAt", "error", "nextRunAt", "checkpoint"],
  });
}

/** A failed attempt: `retrying` until `retryAt` when given, else `failed` for good. */
export function failChange(
  task: Task,
  error: TaskErrorInfo,
  now: Date,
  timing: LifecycleTiming,
  retryAt?: Date,
): Change {
  if (retryAt) {
    return transition(task, TaskStatus.Retrying, now, timing, {
      set: { error, nextRunAt: retryAt.toISOString(), sweepAt: retryAt.getTime() + timing.leaseMs },
      remove: ["leaseToken", "leaseExpiresAt"],
      error,
    });
  }
  return transition(task, TaskStatus.Failed, now, timing, {
    set: { error, finishedAt: now.toISOString() },
    remove: ["leaseToken", "leaseExpiresAt", "nextRunAt"],
    error,
  });
}

/** A task that no attempt holds ends `failed`: its message was dead-lettered, or its last attempt died. */
export function abandonChange(task: Task, error: TaskErrorInfo, now: Date, timing: LifecycleTiming): Change {
  return transition(task, TaskStatus.Failed, now, timing, {
    set: { error, finishedAt: now.toISOString() },
    remove: ["leaseToken", "leaseExpiresAt", "nextRunAt"],
    error,
  });
}

/** The running attempt checkpointed and yields: back to queued, the attempt given back. */
export function continueChange(task: Task, now: Date, timing: LifecycleTiming): Change {
  const attempt = task.attempt - 1;
  return transition(task, TaskStatus.Queued, now, timing, {
    set: { attempt, sweepAt: now.getTime() + timing.leaseMs },
    remove: ["leaseToken", "leaseExpiresAt"],
    attempt,
    note: "checkpointed; continuing in a new delivery",
  });
}

export function cancelChange(task: Task, now: Date, timing: LifecycleTiming): Change {
  return transition(task, TaskStatus.Cancelled, now, timing, {
    set: { finishedAt: now.toISOString() },
    remove: ["leaseToken", "leaseExpiresAt", "nextRunAt"],
    note: task.status === TaskStatus.Running ? "cancelled while running; the attempt is being stopped" : undefined,
  });
}

/** A failed task gets a fresh budget of `attempts` and goes back to the queue. */
export function redriveChange(task: Task, attempts: number, now: Date, timing: LifecycleTiming): Change {
  return transition(task, TaskStatus.Queued, now, timing, {
    set: { maxAttempts: task.attempt + attempts, sweepAt: now.getTime() + timing.leaseMs },
    remove: ["finishedAt", "nextRunAt"],
    note: `redriven with ${attempts} more attempt(s)`,
  });
}

/** The sweeper (re-)sent the task's message: look again once it should have run, and say so in the history. */
export function resentChange(task: Task, now: Date, timing: LifecycleTiming, note: string): Change {
  const runAt = task.runAt ? Date.parse(task.runAt) : 0;
  return {
    set: {
      updatedAt: now.toISOString(),
      sweepAt: Math.max(now.getTime(), runAt) + timing.strandedAfterMs,
      history: appendEvent(task.history, {
        at: now.toISOString(),
        from: task.status,
        to: task.status,
        attempt: task.attempt,
        note,
      }),
    },
    remove: [],
  };
}

/** The running attempt is alive: its lease runs on, and the sweeper looks at the task only once that lease ends. */
export function heartbeatChange(lease: Lease, now: Date): Change {
  return {
    set: { leaseExpiresAt: lease.expiresAt, heartbeatAt: now.toISOString(), sweepAt: lease.expiresAt },
    remove: [],
  };
}

/** Progress and checkpoints: no status change, no history entry. */
export function progressChange(progress: TaskProgress, now: Date): Change {
  return { set: { progress, updatedAt: now.toISOString() }, remove: [] };
}

/**
 * When the sweeper should first look at a new task: a lease's length after it should have started (so that a task
 * written whose message was never sent runs within the same bound as a dead worker's task), or — for a task scheduled
 * further ahead than SQS can delay a message — a minute into the 15 minutes before its run time, to queue it then.
 */
export function initialSweepAt(task: Pick<Task, "createdAt" | "runAt">, timing: LifecycleTiming): number {
  const created = Date.parse(task.createdAt);
  if (!task.runAt) return created + timing.leaseMs;
  const runAt = Date.parse(task.runAt);
  if (runAt - created > MAX_SQS_DELAY_MS) return runAt - MAX_SQS_DELAY_MS + 60_000;
  return runAt + timing.leaseMs;
}

/** The history with `event` added, the oldest entries dropped past MAX_HISTORY_EVENTS. */
export function appendEvent(history: readonly TaskEvent[] | undefined, event: TaskEvent): TaskEvent[] {
  return [...(history ?? []), event].slice(-MAX_HISTORY_EVENTS);
}

function transition(
  task: Task,
  to: TaskStatus,
  now: Date,
  timing: LifecycleTiming,
  spec: {
    set: Record<string, unknown>;
    remove: string[];
    attempt?: number;
    error?: TaskErrorInfo;
    note?: string | undefined;
  },
): Change {
  if (!canTransition(task.status, to)) {
    throw new Error(`Illegal transition ${task.status} → ${to} for task ${task.id}.`);
  }
  const event: TaskEvent = {
    at: now.toISOString(),
    from: task.status,
    to,
    attempt: spec.attempt ?? task.attempt,
    ...(spec.error ? { error: spec.error } : {}),
    ...(spec.note ? { note: spec.note } : {}),
  };
  const set: Record<string, unknown> = {
    ...spec.set,
    status: to,
    updatedAt: now.toISOString(),
    history: appendEvent(task.history, event),
  };
  const remove = [...spec.remove];
  if (isTerminal(to)) remove.push("sweepAt");
  else set.sweepAt ??= now.getTime() + timing.leaseMs;
  return { set, remove };
}
