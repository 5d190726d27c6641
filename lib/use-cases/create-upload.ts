/**
 * Create an upload: check the declared type and size, then hand back a key under `uploads/<tenant>/` and a presigned PUT that
 * signs exactly that size and type. No AWS call (presigning is local); nothing is written until the client uploads.
 */
import { ulid } from "ulid";
import { z } from "zod";
import { ValidationError } from "../domain/errors.ts";
import {
  describeUploadLimits,
  IMAGE_CONTENT_TYPES,
  isAcceptedImageType,
  MAX_UPLOAD_BYTES,
  mediaType,
  UPLOAD_URL_TTL_SECONDS,
  uploadKey,
} from "../domain/uploads.ts";
import type { SignedUpload } from "../ports.ts";
import type { Dependencies } from "./dependencies.ts";
import { describeIssues } from "./enqueue.ts";

/** The body of POST /uploads. */
export const uploadRequest = z
  .object({
    contentType: z.string().min(1).max(255),
    bytes: z.number().int().min(0),
    filename: z.string().max(1024).optional(),
  })
  .strict();

export type UploadRequest = z.input<typeof uploadRequest>;

export interface CreatedUpload {
  /** The object key to pass as a task's `source`. */
  readonly key: string;
  readonly upload: SignedUpload;
  readonly limits: { readonly maxBytes: number; readonly contentTypes: readonly string[] };
}

const limits = { maxBytes: MAX_UPLOAD_BYTES, contentTypes: Object.keys(IMAGE_CONTENT_TYPES) };

export async function createUpload(
  body: unknown,
  tenant: string,
  deps: Pick<Dependencies, "services">,
): Promise<CreatedUpload> {
  const parsed = uploadRequest.safeParse(body);
  if (!parsed.success) {
    throw new ValidationError(
      "invalid_request",
      `The request body must be {"contentType": string, "bytes": integer, "filename"?: string}. ${describeUploadLimits()}`,
      { issues: describeIssues(parsed.error), limits },
    );
  }
  const request = parsed.data;
  const contentType = mediaType(request.contentType);
  if (!isAcceptedImageType(contentType)) {
    throw new ValidationError(
      "unsupported_upload_type",
      `Content type ${JSON.stringify(request.contentType)} is not accepted. ${describeUploadLimits()}`,
      { contentType: request.contentType, limits },
    );
  }
  if (request.bytes === 0) {
    throw new ValidationError("empty_upload", `The file is empty (0 bytes). ${describeUploadLimits()}`, { limits });
  }
  if (request.bytes > MAX_UPLOAD_BYTES) {
    throw new ValidationError(
      "upload_too_large",
      `The file is ${request.bytes} bytes; the limit is ${MAX_UPLOAD_BYTES}. ${describeUploadLimits()}`,
      { bytes: request.bytes, limits },
    );
  }
  const key = uploadKey(tenant, ulid(), request.filename, contentType);
  const upload = await deps.services.blobs.signedUpload(key, {
    contentType,
    bytes: request.bytes,
    expiresInSeconds: UPLOAD_URL_TTL_SECONDS,
  });
  return { key, upload, limits };
}
