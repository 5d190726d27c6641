/**
 * Offload's errors: one base class with a stable `code`, a message for humans, optional `details` for clients,
 * and an explicit retry intent. The HTTP layer maps codes to statuses in one table (lib/http/errors.ts).
 */
export class OffloadError extends Error {
  readonly code: string;
  readonly details: unknown;
  /** Whether running the task again could succeed. Only meaningful for errors raised while running a task. */
  readonly retryable: boolean;
  /** When a client should try again (the HTTP layer sends it as Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: string,
    message: string,
    options: { details?: unknown; cause?: unknown; retryable?: boolean; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Bad request from a client: the HTTP layer answers 4xx with the code. Never retried. */
export class ValidationError extends OffloadError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, { details });
  }
}

export class NotFoundError extends OffloadError {
  constructor(what: string, id: string) {
    super("not_found", `${what} ${JSON.stringify(id)} does not exist (or has expired).`, { details: { id } });
  }
}

/**
 * Thrown by a task handler when running again cannot help (bad input, missing permission, unsupported format):
 * the task fails at once, whatever attempts are left.
 */
export class NonRetriableError extends OffloadError {
  constructor(code: string, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: false });
  }
}

/** Thrown by a task handler for a failure that may pass (a timeout, a throttled dependency): retried with backoff. */
export class RetryableError extends OffloadError {
  constructor(code: string, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: true });
  }
}

/**
 * A guarded write found the task in another state than it expected. `found` is what is stored now
 * (undefined when the task does not exist), so the caller can decide what the conflict means.
 */
export class TransitionConflictError<T = unknown> extends OffloadError {
  readonly found: T | undefined;

  constructor(message: string, found: T | undefined) {
    super("transition_conflict", message);
    this.found = found;
  }
}

/**
 * Not a failure: thrown by a handler that has saved a checkpoint (`context.saveCheckpoint`) and wants to go on in a
 * new delivery, typically because its time is nearly up. The task goes back to `queued` without using an attempt.
 */
export class ContinueLater extends OffloadError {
  constructor(message = "The handler checkpointed and continues in a new delivery.") {
    super("continue_later", message, { retryable: true });
  }
}

/** A dependency (queue, store) is unavailable, or the queue is full: the client may try again later. */
export class UnavailableError extends OffloadError {
  constructor(
    code: string,
    message: string,
    options: { details?: unknown; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(code, message, { ...options, retryable: true });
  }
}

/** A request conflicts with the task's state (cancel a finished task, redrive one that has not failed...). */
export class ConflictError extends OffloadError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, { details });
  }
}

/** The error as recorded on a task and shown to clients. */
export interface TaskErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Any thrown value → what a task records. Unknown errors are retryable: a crash is not proof the input is bad. */
export function toTaskError(error: unknown): TaskErrorInfo {
  if (error instanceof OffloadError) {
    return { code: error.code, message: error.message, retryable: error.retryable };
  }
  if (error instanceof Error) {
    return { code: "handler_error", message: `${error.name}: ${error.message}`, retryable: true };
  }
  return { code: "handler_error", message: String(error), retryable: true };
}
