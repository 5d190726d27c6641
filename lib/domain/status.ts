/**
 * Task statuses and the one table of legal transitions between them.
 *
 * queued ──claim──▶ running ──▶ succeeded
 *   ▲ ▲                │  └────▶ failed
 *   │ └──── retrying ◀─┤  (a retryable error with attempts left; claimed again on redelivery)
 *   └──────────────────┘  (continue later: the handler checkpointed and yields; no attempt is used up)
 */
export const TaskStatus = {
  Queued: "queued",
  Running: "running",
  Retrying: "retrying",
  Succeeded: "succeeded",
  Failed: "failed",
} as const;

export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

export const ALL_STATUSES: readonly TaskStatus[] = Object.values(TaskStatus);

const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  [TaskStatus.Queued]: [TaskStatus.Running, TaskStatus.Failed],
  // running → running: a new attempt claims a task whose previous lease expired (its worker died).
  // running → queued: the handler saved a checkpoint and asked to continue in a new delivery.
  [TaskStatus.Running]: [
    TaskStatus.Succeeded,
    TaskStatus.Failed,
    TaskStatus.Retrying,
    TaskStatus.Running,
    TaskStatus.Queued,
  ],
  [TaskStatus.Retrying]: [TaskStatus.Running, TaskStatus.Failed],
  [TaskStatus.Succeeded]: [],
  [TaskStatus.Failed]: [],
};

/** The statuses from which a task may move to `to`: what a guarded write names as its expected current status. */
export function statusesAllowedBefore(to: TaskStatus): TaskStatus[] {
  return ALL_STATUSES.filter((from) => TRANSITIONS[from].includes(to));
}

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(status: TaskStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === "string" && (ALL_STATUSES as readonly string[]).includes(value);
}
