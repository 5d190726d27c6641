/**
 * The thumbnail handler: read the upload once, decode it once, derive every rendition, write them all in parallel.
 * Bad input fails for good (NonRetriableError) before anything is written; if any write fails, every rendition key
 * is deleted, so no task ends with a partial set. Storage errors are retryable.
 */
import { BlobTooLargeError } from "../../adapters/s3-blob-store.ts";
import { NonRetriableError, OffloadError, RetryableError } from "../../domain/errors.ts";
import { isAcceptedImageType, MAX_UPLOAD_BYTES } from "../../domain/uploads.ts";
import type { BlobStore } from "../../ports.ts";
import type { TaskContext } from "../task-type.ts";
import { decodeMaster, encodeRendition, inspectImage, masterPipeline } from "./image.ts";
import { FORMAT_FILES, planRenditions, renditionKey } from "./plan.ts";
import type { OutputFormat, ThumbnailInput } from "./schema.ts";

/** Outputs never change under their key (a retry rewrites the same bytes), so caches may keep them for a year. */
export const RENDITION_CACHE_CONTROL = "public, max-age=31536000, immutable";

export interface RenditionResult {
  readonly name: string;
  readonly key: string;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

export interface ThumbnailResult {
  readonly source: { readonly key: string; readonly format: string; readonly width: number; readonly height: number };
  readonly renditions: readonly RenditionResult[];
}

export async function createThumbnails(
  input: ThumbnailInput,
  context: Pick<TaskContext, "taskId" | "tenant" | "signal"> & { services: Pick<TaskContext["services"], "blobs"> },
): Promise<ThumbnailResult> {
  const { blobs } = context.services;
  const bytes = await readSource(blobs, input.source, context.signal);
  const image = await inspectImage(bytes);
  const plan = planRenditions(image.size, input.renditions);
  const master = await masterPipeline(await decodeMaster(bytes, plan.master, { flatten: input.format === "jpeg" }));
  context.signal.throwIfAborted();

  const { contentType } = FORMAT_FILES[input.format];
  const keys = plan.renditions.map((rendition) => renditionKey(context, rendition.name, input.format));
  const settled = await Promise.allSettled(
    plan.renditions.map(async (rendition, index): Promise<RenditionResult> => {
      const encoded = await encodeRendition(master, rendition, {
        format: input.format,
        quality: input.quality,
        tagSrgb: image.hasProfile,
      });
      const key = keys[index]!;
      await storage(`write ${key}`, () =>
        blobs.put(key, encoded.data, { contentType, cacheControl: RENDITION_CACHE_CONTROL, signal: context.signal }),
      );
      return { name: rendition.name, key, format: input.format, width: encoded.width, height: encoded.height, bytes: encoded.data.length };
    }),
  );
  const failure = settled.find((outcome) => outcome.status === "rejected");
  if (failure) {
    // Best effort: a failed cleanup leaves objects that the retry overwrites or the bucket's lifecycle rule expires.
    await blobs.deleteMany(keys).catch(() => {});
    throw failure.reason;
  }
  return {
    source: { key: input.source, format: image.format, ...image.size },
    renditions: settled.map((outcome) => (outcome as PromiseFulfilledResult<RenditionResult>).value),
  };
}

/**
 * Checks the stored object's real size and type (the presigned PUT fixes both, but an object written any other way
 * is not bound by it), then reads it once.
 */
async function readSource(blobs: BlobStore, key: string, signal: AbortSignal): Promise<Buffer> {
  const head = await storage(`read ${key}`, () => blobs.head(key));
  if (!head) throw missingSource(key);
  if (head.bytes === 0) throw new NonRetriableError("empty_source", `The source ${key} is empty (0 bytes).`);
  if (head.bytes > MAX_UPLOAD_BYTES) throw tooLarge(key, head.bytes);
  if (!isAcceptedImageType(head.contentType)) {
    throw new NonRetriableError(
      "unsupported_content_type",
      `The source ${key} was stored as ${JSON.stringify(head.contentType ?? "no content type")}, not as an accepted image type.`,
      { details: { contentType: head.contentType } },
    );
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await blobs.get(key, { maxBytes: MAX_UPLOAD_BYTES, signal });
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw tooLarge(key, undefined);
    throw storageError(`read ${key}`, error);
  }
  if (!bytes) throw missingSource(key);
  if (bytes.length === 0) throw new NonRetriableError("empty_source", `The source ${key} is empty (0 bytes).`);
  return bytes;
}

/** Runs one storage call; an unexpected failure (throttling, a network error) becomes retryable. */
async function storage<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storageError(what, error);
  }
}

function storageError(what: string, error: unknown): OffloadError {
  if (error instanceof OffloadError) return error;
  return new RetryableError("storage_unavailable", `Could not ${what}: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

function missingSource(key: string): NonRetriableError {
  return new NonRetriableError("source_not_found", `The source ${key} does not exist (never uploaded, or expired).`, {
    details: { source: key },
  });
}

function tooLarge(key: string, bytes: number | undefined): NonRetriableError {
  return new NonRetriableError(
    "source_too_large",
    `The source ${key} is ${bytes === undefined ? "larger than the limit" : `${bytes} bytes`}; the limit is ${MAX_UPLOAD_BYTES} bytes (25 MiB).`,
    { details: { bytes, maxBytes: MAX_UPLOAD_BYTES } },
  );
}
