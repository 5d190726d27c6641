/** The interfaces the use cases need from the outside world. Adapters in lib/adapters implement them. */
import type { ApiKeyRecord } from "./domain/api-key.ts";
import type { TaskErrorInfo } from "./domain/errors.ts";
import type { Lease } from "./domain/lifecycle.ts";
import type { Task, TaskProgress } from "./domain/task.ts";

/** How a task is addressed for a write: its id, and the tenant that owns it (the write checks both). */
export interface TaskRef {
  readonly id: string;
  readonly tenant: string;
}

export type { Lease } from "./domain/lifecycle.ts";

/**
 * Task records. Every change is one conditional write: transitions by the running attempt are guarded by its lease,
 * all others by the version of the task the caller read. When the guard fails the store throws
 * `TransitionConflictError` carrying the task as found.
 */
export interface TaskStore {
  /** Writes a new task; fails if the id exists. */
  create(task: Task): Promise<void>;
  /** Strongly consistent read. Expired tasks (past their TTL) read as undefined. */
  get(id: string, now: Date): Promise<Task | undefined>;
  /** Starts an attempt (lib/domain/lifecycle.ts `claimRefusal` says whether it may): running, attempt + 1, `lease`. */
  claim(task: Task, lease: Lease, now: Date): Promise<Task>;
  /** running (holding `leaseToken`) → succeeded. */
  complete(task: Task, leaseToken: string, result: unknown, now: Date): Promise<Task>;
  /** running (holding `leaseToken`) → retrying (with `retryAt`) or failed (without). */
  fail(task: Task, leaseToken: string, error: TaskErrorInfo, now: Date, retryAt?: Date): Promise<Task>;
  /** A task no attempt holds → failed: its message was dead-lettered, or its last attempt died. */
  abandon(task: Task, error: TaskErrorInfo, now: Date): Promise<Task>;
  /** running (holding `leaseToken`) → queued, the attempt given back; the checkpoint is kept. */
  continueLater(task: Task, leaseToken: string, now: Date): Promise<Task>;
  /** Any live status → cancelled. A running attempt notices at its next heartbeat or progress write. */
  cancel(task: Task, now: Date): Promise<Task>;
  /** failed → queued with `attempts` more attempts. */
  redrive(task: Task, attempts: number, now: Date): Promise<Task>;
  /** Records that the sweeper re-sent the task's message, and when to look again. */
  markResent(task: Task, now: Date, note: string): Promise<Task>;
  /** Progress of the running attempt holding `leaseToken`. */
  reportProgress(ref: TaskRef, leaseToken: string, progress: TaskProgress, now: Date): Promise<void>;
  /** Stores the handler's resumable state on the task (running, holding `leaseToken`); later attempts receive it. */
  saveCheckpoint(ref: TaskRef, leaseToken: string, checkpoint: unknown, now: Date): Promise<void>;
  /** The running attempt is alive: extends its lease. Fails (conflict) once the task was cancelled or taken over. */
  heartbeat(ref: TaskRef, leaseToken: string, lease: Lease, now: Date): Promise<void>;
  /** Ids of live tasks the sweeper should look at by `now`. */
  dueForSweep(now: Date, pageSize?: number): AsyncIterable<string>;
}

/** What travels through SQS: the task's address and type, never its input (the record is the truth). */
export interface TaskMessage extends TaskRef {
  readonly type: string;
}

/** What an Idempotency-Key is bound to: the request it was first used with, and the task that request created. */
export interface IdempotencyRecord {
  /** A hash of the request (type, input, schedule): the same key with another request is refused. */
  readonly fingerprint: string;
  readonly taskId: string;
  /** Epoch seconds; the key is free again afterwards. */
  readonly expiresAt: number;
  /** Epoch ms when the key was bound: a binding whose task never appeared can be taken over after a while. */
  readonly reservedAt: number;
}

export interface IdempotencyStore {
  /** Binds `key` to `record` unless it is bound (and not expired) already, in which case the binding is returned. */
  reserve(
    tenant: string,
    key: string,
    record: IdempotencyRecord,
    now: Date,
  ): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord }>;
  /**
   * Rebinds a key whose task was never written (its request died after reserving it) to `record`, only while the key
   * is still bound to `staleTaskId`. False if someone else rebound it first.
   */
  takeOver(tenant: string, key: string, staleTaskId: string, record: IdempotencyRecord): Promise<boolean>;
  /** Frees a key whose task could not be created (only while it is still bound to `taskId`). */
  release(tenant: string, key: string, taskId: string): Promise<void>;
}

export interface TaskQueue {
  send(message: TaskMessage, options?: { delaySeconds?: number }): Promise<void>;
  /** Messages waiting (visible, in flight and delayed), as SQS approximates them; cached for a few seconds. */
  approximateDepth(): Promise<number>;
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

/** One uploaded part of a multipart upload, as CompleteMultipartUpload wants it. */
export interface UploadedPart {
  readonly PartNumber: number;
  readonly ETag: string;
}

/** Objects in the results bucket: uploads (task inputs) and results (task outputs). */
export interface BlobStore {
  head(key: string): Promise<BlobHead | undefined>;
  /** The whole object, or undefined if it does not exist. Throws if it exceeds `maxBytes`. */
  get(key: string, options?: { maxBytes?: number; signal?: AbortSignal }): Promise<Buffer | undefined>;
  put(key: string, body: Buffer | string, options: PutBlobOptions): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
  signedDownloadUrl(key: string, options: SignedDownloadOptions): Promise<string>;
  signedUpload(key: string, options: SignedUploadOptions): Promise<SignedUpload>;
  /**
   * Multipart upload under the caller's control (so that it can be resumed from a checkpoint of its parts).
   * Every part but the last must be at least 5 MiB on S3. Uploading a part number again replaces that part.
   */
  createMultipartUpload(key: string, options: PutBlobOptions): Promise<string>;
  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer, signal?: AbortSignal): Promise<UploadedPart>;
  completeMultipartUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void>;
  /** Discards an upload's parts; an upload that no longer exists is not an error. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
}

/** A DynamoDB attribute value in DynamoDB's own JSON form: numbers stay decimal strings, so nothing rounds. */
export type StoredValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: Uint8Array }
  | { readonly BOOL: boolean }
  | { readonly NULL: boolean }
  | { readonly M: StoredItem }
  | { readonly L: readonly StoredValue[] }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly BS: readonly Uint8Array[] };

export type StoredItem = Readonly<Record<string, StoredValue>>;

/** A condition on a dataset's items, with DynamoDB's placeholders (`#n0`, `:v0`) already bound. */
export interface DatasetExpression {
  /** Query on the partition key when set; otherwise the read is a Scan. */
  readonly keyCondition?: string;
  readonly filter?: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, StoredValue>>;
}

export interface DatasetPageRequest {
  /** An allow-listed dataset id: the reader knows which table (and only which tables) it stands for. */
  readonly dataset: string;
  readonly indexName?: string | undefined;
  readonly expression?: DatasetExpression | undefined;
  /** Items to evaluate per page (DynamoDB also stops at 1 MB). */
  readonly limit: number;
  /** Where to continue: the previous page's `lastEvaluatedKey`. */
  readonly startKey?: StoredItem | undefined;
  readonly signal?: AbortSignal;
}

export interface DatasetPage {
  readonly items: readonly StoredItem[];
  /** Items read from the table for this page, before the filter (DynamoDB's ScannedCount). */
  readonly scanned: number;
  /** Undefined on the last page. */
  readonly lastEvaluatedKey?: StoredItem | undefined;
}

/** Read access to the allow-listed export datasets, one page at a time. */
export interface DatasetReader {
  readPage(request: DatasetPageRequest): Promise<DatasetPage>;
  /** DynamoDB's ItemCount for the dataset's table: refreshed about every six hours, so an estimate only. */
  approximateItemCount(dataset: string): Promise<number | undefined>;
}

/** API keys, by their public prefix. Only hashes are stored. */
export interface ApiKeyStore {
  /** Stores a new key; false if its prefix is taken (generate another). */
  create(record: ApiKeyRecord): Promise<boolean>;
  get(prefix: string): Promise<ApiKeyRecord | undefined>;
  /** Records a use, unless one was recorded less than a minute before `now` (at most one write a minute per key). */
  touchLastUsed(prefix: string, now: Date): Promise<void>;
  /** Every key (of one tenant), oldest first. An administrator's listing: it reads the whole table. */
  list(tenant?: string): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; undefined if there is no such key. Revoking twice keeps the first time. */
  revoke(prefix: string, now: Date): Promise<ApiKeyRecord | undefined>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
