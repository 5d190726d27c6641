/**
 * The client's types, by task type. Inputs are inferred from the task types' own zod schemas (type-only imports:
 * nothing of the server is bundled into a client).
 */
import type { z } from "zod";
import type { TaskErrorInfo } from "../domain/errors.ts";
import type { TaskStatus } from "../domain/status.ts";
import type { TaskEvent, TaskProgress, TaskView } from "../domain/task.ts";
import type { echoTaskType } from "../task-types/echo.ts";
import type { ExportResult } from "../task-types/export/export.ts";
import type { exportInput } from "../task-types/export/input.ts";
import type { RenditionResult, ThumbnailResult } from "../task-types/thumbnail/handler.ts";
import type { thumbnailInput } from "../task-types/thumbnail/schema.ts";

export type { TaskErrorInfo, TaskEvent, TaskProgress, TaskStatus };

/** A presigned download link, as the status API adds it to results that are files. */
export interface DownloadLink {
  readonly url: string;
  readonly urlExpiresAt: string;
}

/** Every built-in task type: what `enqueue` takes and what a succeeded task's `result` holds. */
export interface TaskTypes {
  echo: { input: z.input<(typeof echoTaskType)["input"]>; result: { message: string; attempt: number } };
  thumbnail: {
    input: z.input<typeof thumbnailInput>;
    result: Omit<ThumbnailResult, "renditions"> & { renditions: (RenditionResult & DownloadLink)[] };
  };
  export: { input: z.input<typeof exportInput>; result: ExportResult & DownloadLink };
}

export type TaskTypeName = keyof TaskTypes;

/** A task as the API shows it (the server's TaskView); `result` is typed when the type is a built-in one. */
export type Task<T extends string = string> = Omit<TaskView, "type" | "result"> & {
  readonly type: T;
  readonly result: (T extends TaskTypeName ? TaskTypes[T]["result"] : unknown) | null;
  /**
   * Read access to this task only, short-lived (`ofl_wt_…`): for a browser, as `Authorization: Bearer` or as
   * `?token=` on `/tasks/{id}/result` (links, <img>). Given to API-key callers of enqueue and get.
   */
  readonly watchToken?: string;
};

export interface TaskPage {
  readonly tasks: Task[];
  readonly nextCursor: string | null;
}

export interface ListOptions {
  readonly status?: TaskStatus;
  readonly type?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface EnqueueOptions {
  /** Run later: seconds from now (needs the reliability release of the API). */
  readonly delaySeconds?: number;
  /** Run at this time (ISO-8601). */
  readonly runAt?: string;
  /** Same key, same task: a retried enqueue answers the original task. */
  readonly idempotencyKey?: string;
}

export interface WaitOptions {
  /** Called with the task whenever its status or progress changes (and once at the start). */
  readonly onChange?: (task: Task) => void;
  /** Give up (throwing OffloadTimeoutError) after this long. Default: no limit. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Seconds each long-polling request may be held (≤ 20). Default 20. */
  readonly waitSeconds?: number;
}

export interface UploadedFile {
  /** The object key: pass it as a thumbnail task's `source`. */
  readonly key: string;
}

export interface DownloadedFile {
  readonly name: string;
  readonly contentType: string | null;
  readonly bytes: Uint8Array;
}
