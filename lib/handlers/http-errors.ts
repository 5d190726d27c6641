/** The one table from error codes to HTTP statuses, and the JSON error body every client gets. */
import { OffloadError } from "../domain/errors.ts";

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  invalid_json: 400,
  invalid_request: 400,
  invalid_input: 400,
  invalid_query: 400,
  invalid_cursor: 400,
  unknown_task_type: 400,
  unsupported_upload_type: 400,
  empty_upload: 400,
  unauthorized: 401,
  forbidden: 403,
  tenant_quota_exceeded: 429,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  task_not_finished: 409,
  no_result_file: 404,
  body_too_large: 413,
  upload_too_large: 413,
  unsupported_media_type: 415,
  queue_unavailable: 503,
  queue_full: 429,
  invalid_idempotency_key: 400,
  idempotency_key_reused: 422,
  idempotency_key_in_progress: 409,
  task_finished: 409,
  task_not_failed: 409,
};

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

export function httpStatusFor(error: OffloadError): number {
  return STATUS_BY_CODE[error.code] ?? (error.retryable ? 503 : 500);
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

export function isClientError(error: unknown): error is OffloadError {
  return error instanceof OffloadError && httpStatusFor(error) < 500;
}
