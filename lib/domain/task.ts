/** The task record: what is stored per task, and the public view a client polls. Pure. */
import { monotonicFactory } from "ulid";
import type { TaskErrorInfo } from "./errors.ts";
import { TaskStatus } from "./status.ts";

/** Until API keys arrive every task belongs to this tenant; the field, the index and the checks are already in place. */
export const DEFAULT_TENANT = "default";

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
  readonly tenant: string;
  readonly type: string;
  readonly input: unknown;
  readonly maxAttempts: number;
  readonly retentionDays: number;
  readonly now: Date;
}

export function createTask(spec: NewTask): Task {
  const at = spec.now.toISOString();
  return {
    id: spec.id,
    tenant: spec.tenant,
    type: spec.type,
    input: spec.input,
    status: TaskStatus.Queued,
    attempt: 0,
    maxAttempts: spec.maxAttempts,
    createdAt: at,
    updatedAt: at,
    expiresAt: expiryEpochSeconds(spec.now, spec.retentionDays),
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
  readonly expiresAt: string;
  readonly links: { readonly self: string };
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
    expiresAt: new Date(task.expiresAt * 1000).toISOString(),
    links: { self: `/tasks/${task.id}` },
  };
}
