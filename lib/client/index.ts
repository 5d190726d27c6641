/** Offload's typed HTTP client. */
export { isFinished, OffloadClient, type OffloadClientOptions, type PollResult } from "./offload-client.ts";
export { OffloadApiError, OffloadTimeoutError, OffloadUploadError } from "./errors.ts";
export type * from "./types.ts";
