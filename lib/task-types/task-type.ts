/** What a task type is: an input schema, a handler, and the limits it runs under. */
import type { z } from "zod";
import type { Config } from "../config.ts";
import type { TaskProgress } from "../domain/task.ts";
import type { BlobStore, DatasetReader } from "../ports.ts";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../domain/retry.ts";

/** Services a handler may use. Task types that need storage get it here, never by building SDK clients. */
export interface TaskServices {
  /** The results bucket: read the tenant's uploads (`uploads/<tenant>/`), write outputs under `results/<tenant>/<taskId>/`. */
  readonly blobs: BlobStore;
  /** Read-only access to the allow-listed export datasets (lib/task-types/export/datasets.ts). */
  readonly datasets: DatasetReader;
}

export interface TaskContext {
  readonly taskId: string;
  /** The tenant the task belongs to: a handler reads and writes only under that tenant's prefixes. */
  readonly tenant: string;
  /** 1-based number of this attempt. */
  readonly attempt: number;
  /** Aborted when the attempt's time is up (type timeout or the Lambda's remaining time). Handlers must honour it. */
  readonly signal: AbortSignal;
  /** Epoch ms at which `signal` fires. */
  readonly deadline: number;
  /** Records progress on the task. Calls are throttled (about one write a second); the last one always lands. */
  reportProgress(progress: TaskProgress): Promise<void>;
  /** What the last `saveCheckpoint` of an earlier delivery or attempt stored; undefined on a fresh start. */
  readonly checkpoint: unknown;
  /**
   * Stores resumable state on the task: one conditional write holding the lease (throws TransitionConflictError if
   * the lease was lost, and aborts `signal`). A crash retry receives it as `checkpoint`; so does the delivery after a
   * handler throws `ContinueLater`.
   */
  saveCheckpoint(state: unknown): Promise<void>;
  readonly services: TaskServices;
}

export interface TaskTypeDefinition<Schema extends z.ZodType = z.ZodType, Result = unknown> {
  readonly name: string;
  readonly description: string;
  /** Validated at enqueue (bad input is a 400 and nothing is written) and parsed again before the handler runs. */
  readonly input: Schema;
  readonly handler: (input: z.output<Schema>, context: TaskContext) => Promise<Result>;
  /**
   * Refuses input that the tenant may not use (another tenant's upload, a dataset it may not export) by throwing a
   * ValidationError. Checked at enqueue (a 400, nothing written) and again before every attempt.
   */
  readonly checkAccess?: (input: z.output<Schema>, access: TaskAccess) => void;
  /** Seconds one attempt may run; capped by the worker's own timeout. */
  readonly timeoutSeconds: number;
  readonly retry: RetryPolicy;
  /** Days the task record (and its results) are kept after creation. */
  readonly retentionDays: number;
  /**
   * Turns a stored result into what a client sees, e.g. adding short-lived download URLs. Called by the status API;
   * without it the stored result is shown as is.
   */
  readonly presentResult?: (result: Result, services: TaskServices) => Promise<unknown>;
  /**
   * Cleans up after the task failed for good (e.g. aborts a multipart upload), given its last checkpoint. Called
   * once by the worker that recorded the failure; its errors are logged, never thrown.
   */
  readonly onFailed?: (checkpoint: unknown, services: TaskServices) => Promise<void>;
}

/** Who a task runs for, and the deployment's rules (e.g. which tenant may export which dataset). */
export interface TaskAccess {
  readonly tenant: string;
  readonly config: Pick<Config, "exportDatasetTenants">;
}

export type AnyTaskType = TaskTypeDefinition<z.ZodType, unknown>;

export interface TaskTypeOptions<Schema extends z.ZodType, Result>
  extends Omit<TaskTypeDefinition<Schema, Result>, "retry" | "retentionDays" | "timeoutSeconds"> {
  readonly timeoutSeconds?: number;
  readonly retry?: Partial<RetryPolicy>;
  readonly retentionDays?: number;
}

export function defineTaskType<Schema extends z.ZodType, Result>(
  options: TaskTypeOptions<Schema, Result>,
): TaskTypeDefinition<Schema, Result> {
  return Object.freeze({
    ...options,
    timeoutSeconds: options.timeoutSeconds ?? 60,
    retry: Object.freeze({ ...DEFAULT_RETRY_POLICY, ...options.retry }),
    retentionDays: options.retentionDays ?? 30,
  });
}
