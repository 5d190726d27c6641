/**
 * `thumbnail`: every rendition a gallery needs from one uploaded image, from one decode. Input and defaults in
 * schema.ts, sizes in plan.ts, the image work in image.ts, storage in handler.ts.
 */
import { ValidationError } from "../../domain/errors.ts";
import { tenantUploadsPrefix } from "../../domain/uploads.ts";
import { defineTaskType } from "../task-type.ts";
import { createThumbnails, type ThumbnailResult } from "./handler.ts";
import { thumbnailInput } from "./schema.ts";

/** How long the download URLs in a status response stay valid. */
export const DOWNLOAD_URL_TTL_SECONDS = 15 * 60;

export const thumbnailTaskType = defineTaskType({
  name: "thumbnail",
  description:
    "Scales an uploaded image (source: a key from POST /uploads) to 1600/800/400 px long-edge fits and a 150x150 square, or to the renditions given.",
  input: thumbnailInput,
  timeoutSeconds: 120,
  retry: { maxAttempts: 3, baseDelaySeconds: 2, factor: 2, maxDelaySeconds: 30 },
  // As long as the bucket keeps results/ (resultRetentionDays): a record must not outlive its files.
  retentionDays: 7,
  handler: (input, context) => createThumbnails(input, context),
  checkAccess(input, { tenant }) {
    if (!input.source.startsWith(tenantUploadsPrefix(tenant))) {
      throw new ValidationError("invalid_input", "source must be one of your own uploads (a key from POST /uploads).", {
        type: "thumbnail",
        issues: [{ path: "source", message: `not under ${tenantUploadsPrefix(tenant)}` }],
      });
    }
  },
  async presentResult(result: ThumbnailResult, services) {
    const expiresAt = new Date(Date.now() + DOWNLOAD_URL_TTL_SECONDS * 1000).toISOString();
    return {
      ...result,
      renditions: await Promise.all(
        result.renditions.map(async (rendition) => ({
          ...rendition,
          url: await services.blobs.signedDownloadUrl(rendition.key, { expiresInSeconds: DOWNLOAD_URL_TTL_SECONDS }),
          urlExpiresAt: expiresAt,
        })),
      ),
    };
  },
});
