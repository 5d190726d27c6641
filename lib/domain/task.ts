/** The task record: what is stored per task, and the public view a client polls. Pure. */
import { monotonicFactory } from "ulid";
import type { TaskErrorInfo } from "./errors.ts";
import { TaskStatus } from "./status.ts";

export interface TaskProgress {
  /** 0–100 when the handler knows how far along it is. */
  readonly percent?: number | undefined;
  readonly message?: string | undefined;
  /** Units done (rows, images...), with `total` when known. */
  readonly current?: number | undefined;
  readonly total?: number | undefined;
}

/** One entry of a task's history: a status transition (or a note such as a redrive), oldest first. */
export interface TaskEvent {
  /** ISO-8601. */
  readonly at: string;
  readonly from: TaskStatus | null;
  readonly to: TaskStatus;
  readonly attempt: number;
  readonly error?: TaskErrorInfo | undefined;
  readonly note?: string | undefined;
}

/** History is capped: the oldest entries are dropped past this many. */
export const MAX_HISTORY_EVENTS = 50;

export interface Task {
  readonly id: string;
  readonly tenant: string;
  readonly type: string;
  readonly input: unknown;
  readonly status: TaskStatus;
  /** Attempts started so far (0 until a worker claims the task). */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly progress?: TaskProgress | undefined;
  readonly result?: unknown;
  readonly error?: TaskErrorInfo | undefined;
  /** ISO-8601 timestamps. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string | undefined;
  readonly finishedAt?: string | undefined;
  /** When a `retrying` task's next attempt is due. */
  readonly nextRunAt?: string | undefined;
  /** The running attempt's lease: who holds the task, and until when (epoch ms). */
  readonly leaseToken?: string | undefined;
  readonly leaseExpiresAt?: number | undefined;
  /** A handler's resumable state (TaskContext.saveCheckpoint): internal, never shown to clients. */
  readonly checkpoint?: unknown;
  /** DynamoDB TTL (epoch seconds): the record disappears some time after this. */
  readonly expiresAt: number;
  /** A `scheduled` task's run time (ISO-8601). */
  readonly runAt?: string | undefined;
  /** Every transition, oldest first, at most MAX_HISTORY_EVENTS. */
  readonly history?: readonly TaskEvent[] | undefined;
  /** Incremented by every write: the guard of writes that hold no lease, and the ETag of the view. */
  readonly version: number;
  /** When the sweeper should look at this live task next (epoch ms); absent once the task is finished. */
  readonly sweepAt?: number | undefined;
}

const nextUlid = monotonicFactory();

/** Task ids are ULIDs: unique, and sorted by creation time. */
export function newTaskId(now: Date): string {
  return nextUlid(now.getTime());
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isTaskId(value: string): boolean {
  return ULID.test(value);
}

export interface NewTask {
  readonly id: string;
  /** Run no earlier than this: the task starts `scheduled`. */
  readonly runAt?: Date | undefined;
  readonly tenant: string;
  readonly type: string;
  readonly input: unknown;
  readonly maxAttempts: number;
  readonly retentionDays: number;
  readonly now: Date;
}

export function createTask(spec: NewTask): Task {
  const at = spec.now.toISOString();
  const scheduled = spec.runAt !== undefined && spec.runAt.getTime() > spec.now.getTime();
  const status = scheduled ? TaskStatus.Scheduled : TaskStatus.Queued;
  // A scheduled task is kept for its retention after it was due to run.
  const retentionFrom = scheduled && spec.runAt ? spec.runAt : spec.now;
  return {
    id: spec.id,
    tenant: spec.tenant,
    type: spec.type,
    input: spec.input,
    status,
    attempt: 0,
    maxAttempts: spec.maxAttempts,
    createdAt: at,
    updatedAt: at,
    ...(scheduled && spec.runAt ? { runAt: spec.runAt.toISOString() } : {}),
    expiresAt: expiryEpochSeconds(retentionFrom, spec.retentionDays),
    history: [{ at, from: null, to: status, attempt: 0 }],
    version: 1,
  };
}

export function expiryEpochSeconds(now: Date, retentionDays: number): number {
  return Math.floor(now.getTime() / 1000) + Math.round(retentionDays * 86_400);
}

/**
 * DynamoDB deletes expired items up to a few days late, so a read must treat a task past its TTL as gone.
 */
export function isExpired(task: Pick<Task, "expiresAt">, now: Date): boolean {
  return task.expiresAt * 1000 <= now.getTime();
}

/** What a client sees. Internal fields (lease, TTL, tenant keys) stay inside. */
export interface TaskView {
  readonly id: string;
  readonly type: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly progress: TaskProgress | null;
  readonly result: unknown;
  readonly error: TaskErrorInfo | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly nextRunAt: string | null;
  /** A `scheduled` task's run time. */
  readonly runAt: string | null;
  readonly expiresAt: string;
  readonly links: { readonly self: string; readonly events: string; readonly result: string };
}

export function toView(task: Task, result: unknown = task.result): TaskView {
  return {
    id: task.id,
    type: task.type,
    status: task.status,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    progress: task.progress ?? null,
    result: result ?? null,
    error: task.error ?? null,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt ?? null,
    finishedAt: task.finishedAt ?? null,
    nextRunAt: task.nextRunAt ?? null,
    runAt: task.runAt ?? null,
    expiresAt: new Date(task.expiresAt * 1000).toISOString(),
    links: { self: `/tasks/${task.id}`, events: `/tasks/${task.id}/events`, result: `/tasks/${task.id}/result` },
  };
}
