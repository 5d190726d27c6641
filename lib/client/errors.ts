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

/** `waitUntilDone` gave up before the task finished. */
export class OffloadTimeoutError extends Error {
  readonly taskId: string;

  constructor(taskId: string, ms: number) {
    super(`Task ${taskId} did not finish within ${ms} ms.`);
    this.name = "OffloadTimeoutError";
    this.taskId = taskId;
  }
}
