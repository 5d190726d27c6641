/** The interfaces the use cases need from the outside world. Adapters in lib/adapters implement them. */
import type { TaskErrorInfo } from "./domain/errors.ts";
import type { Task, TaskProgress } from "./domain/task.ts";
import type { TaskStatus } from "./domain/status.ts";

/** How a task is addressed for a write: its id, and the tenant that owns it (the write checks both). */
export interface TaskRef {
  readonly id: string;
  readonly tenant: string;
}

export interface Lease {
  readonly token: string;
  /** Epoch ms. */
  readonly expiresAt: number;
}

/**
 * Task records. Every status change is one conditional write naming the status it expects; when the condition fails
 * the store throws `TransitionConflictError` carrying the task as found.
 */
export interface TaskStore {
  /** Writes a new task; fails if the id exists. */
  create(task: Task): Promise<void>;
  /** Strongly consistent read. Expired tasks (past their TTL) read as undefined. */
  get(id: string, now: Date): Promise<Task | undefined>;
  /**
   * queued/retrying, or running with an expired lease → running, attempt + 1, holding `lease`.
   * Refused when the task has no attempts left.
   */
  claim(ref: TaskRef, lease: Lease, now: Date): Promise<Task>;
  /** running (holding `leaseToken`) → succeeded. */
  complete(ref: TaskRef, leaseToken: string, result: unknown, now: Date): Promise<Task>;
  /** running (holding `leaseToken`) → retrying (with `retryAt`) or failed (without). */
  fail(ref: TaskRef, leaseToken: string, error: TaskErrorInfo, now: Date, retryAt?: Date): Promise<Task>;
  /** A task no attempt holds (one of `expected`) → failed: its message could not be sent, or its attempts ran out. */
  abandon(ref: TaskRef, expected: readonly TaskStatus[], error: TaskErrorInfo, now: Date): Promise<Task>;
  /** Progress of the running attempt holding `leaseToken`. */
  reportProgress(ref: TaskRef, leaseToken: string, progress: TaskProgress, now: Date): Promise<void>;
}

/** What travels through SQS: the task's address and type, never its input (the record is the truth). */
export interface TaskMessage extends TaskRef {
  readonly type: string;
}

export interface TaskQueue {
  send(message: TaskMessage, options?: { delaySeconds?: number }): Promise<void>;
  /** Makes a received message visible again after `seconds` (the backoff before its next attempt). */
  delay(receiptHandle: string, seconds: number): Promise<void>;
  /** Parks a message in the dead-letter queue, with why it ended there. */
  sendToDeadLetter(message: TaskMessage, reason: TaskErrorInfo): Promise<void>;
}

export interface BlobHead {
  readonly bytes: number;
  readonly contentType?: string | undefined;
  readonly etag?: string | undefined;
}

export interface PutBlobOptions {
  readonly contentType: string;
  readonly cacheControl?: string;
  readonly contentDisposition?: string;
  readonly signal?: AbortSignal;
}

export interface SignedDownloadOptions {
  readonly expiresInSeconds: number;
  /** When set, the URL makes browsers save the file under this name (Content-Disposition: attachment). */
  readonly filename?: string;
}

export interface SignedUploadOptions {
  readonly contentType: string;
  readonly bytes: number;
  readonly expiresInSeconds: number;
}

/** What a client needs to upload a file with one HTTP request. */
export interface SignedUpload {
  readonly url: string;
  readonly method: "PUT";
  /** Headers the client must send exactly (they are part of the signature). */
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

/** Objects in the results bucket: uploads (task inputs) and results (task outputs). */
export interface BlobStore {
  head(key: string): Promise<BlobHead | undefined>;
  /** The whole object, or undefined if it does not exist. Throws if it exceeds `maxBytes`. */
  get(key: string, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<Buffer | undefined>;
  put(key: string, body: Buffer | string, options: PutBlobOptions): Promise<void>;
  putStream(key: string, body: import("node:stream").Readable, options: PutBlobOptions & { partBytes?: number }): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
  signedDownloadUrl(key: string, options: SignedDownloadOptions): Promise<string>;
  signedUpload(key: string, options: SignedUploadOptions): Promise<SignedUpload>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
