/**
 * Task statuses and the one table of legal transitions between them.
 *
 * scheduled ─(due)─┐
 *                  ▼
 * queued ──claim──▶ running ──▶ succeeded
 *   ▲ ▲                │  └────▶ failed ──(redrive)──▶ queued
 *   │ └──── retrying ◀─┤  (a retryable error with attempts left; claimed again on redelivery)
 *   └──────────────────┘  (continue later: the handler checkpointed and yields; no attempt is used up)
 * Any live status ──cancel──▶ cancelled.
 */
export const TaskStatus = {
  Scheduled: "scheduled",
  Queued: "queued",
  Running: "running",
  Retrying: "retrying",
  Succeeded: "succeeded",
  Failed: "failed",
  Cancelled: "cancelled",
} as const;

export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const ALL_STATUSES: readonly TaskStatus[] = Object.values(TaskStatus);

const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  [TaskStatus.Scheduled]: [TaskStatus.Running, TaskStatus.Failed, TaskStatus.Cancelled],
  [TaskStatus.Queued]: [TaskStatus.Running, TaskStatus.Failed, TaskStatus.Cancelled],
  // running → running: a new attempt claims a task whose previous lease expired (its worker died).
  // running → queued: the handler saved a checkpoint and asked to continue in a new delivery.
  [TaskStatus.Running]: [
    TaskStatus.Succeeded,
    TaskStatus.Failed,
    TaskStatus.Retrying,
    TaskStatus.Running,
    TaskStatus.Queued,
    TaskStatus.Cancelled,
  ],
  [TaskStatus.Retrying]: [TaskStatus.Running, TaskStatus.Failed, TaskStatus.Cancelled],
  [TaskStatus.Succeeded]: [],
  // failed → queued: a redrive gives a dead task a fresh attempt budget.
  [TaskStatus.Failed]: [TaskStatus.Queued],
  [TaskStatus.Cancelled]: [],
};

const TERMINAL: ReadonlySet<TaskStatus> = new Set([TaskStatus.Succeeded, TaskStatus.Failed, TaskStatus.Cancelled]);

/** The statuses from which a task may move to `to`: what a guarded write names as its expected current status. */
export function statusesAllowedBefore(to: TaskStatus): TaskStatus[] {
  return ALL_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Finished: no attempt will run again on its own (a failed task can still be redriven by hand). */
export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL.has(status);
}

/** Statuses of tasks that have not finished. */
export const LIVE_STATUSES: readonly TaskStatus[] = ALL_STATUSES.filter((status) => !isTerminal(status));

/** Statuses a task can be cancelled from. */
export const CANCELLABLE: readonly TaskStatus[] = statusesAllowedBefore(TaskStatus.Cancelled);

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === "string" && (ALL_STATUSES as readonly string[]).includes(value);
}
