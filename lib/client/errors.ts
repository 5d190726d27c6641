/** What the client throws. */

/** The API answered with an error: its HTTP status and the `{"error":{code,message,details}}` body. */
export class OffloadApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = "OffloadApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * The presigned upload PUT failed: storage (S3) refused it — `status` is its HTTP status and `s3Code` S3's error code
 * (`SignatureDoesNotMatch`, `AccessDenied`, `EntityTooLarge`, ...) — or gave no answer at all (`status` undefined).
 */
export class OffloadUploadError extends Error {
  readonly status: number | undefined;
  readonly s3Code: string | undefined;

  constructor(message: string, options: { status?: number; s3Code?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "OffloadUploadError";
    this.status = options.status;
    this.s3Code = options.s3Code;
  }
}

/** `waitUntilDone` gave up before the task finished. */
export class OffloadTimeoutError extends Error {
  readonly taskId: string;

  constructor(taskId: string, ms: number) {
    super(`Task ${taskId} did not finish within ${ms} ms.`);
    this.name = "OffloadTimeoutError";
    this.taskId = taskId;
  }
}
