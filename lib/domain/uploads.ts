/**
 * Uploads: the objects clients put in the results bucket (under `uploads/`) for a task to read. Pure: the key scheme,
 * the content types accepted and the size limit, shared by `POST /uploads` and the task types that read uploads.
 */

/** Every upload key starts with this (then the tenant); task inputs may name no other object of the bucket. */
export const UPLOADS_PREFIX = "uploads/";

/** Largest upload accepted: 25 MiB. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

/** How long a presigned upload stays valid. */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;

/** Image content types accepted for upload, with the file extension used when the client gives no file name. */
export const IMAGE_CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/avif": "avif",
  "image/tiff": "tiff",
  "image/heic": "heic",
  "image/heif": "heif",
});

/** The media type of a Content-Type header value, lower-cased and without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function isAcceptedImageType(contentType: string | undefined): boolean {
  return Object.hasOwn(IMAGE_CONTENT_TYPES, mediaType(contentType));
}

/** Human-readable statement of both limits, for error messages. */
export function describeUploadLimits(): string {
  return `Uploads must be images (${Object.keys(IMAGE_CONTENT_TYPES).join(", ")}) of at most ${MAX_UPLOAD_BYTES} bytes (25 MiB).`;
}

const MAX_NAME_LENGTH = 100;

/**
 * A file name safe in a key and a URL: letters, digits, dot, dash and underscore; no leading dots; at most 100
 * characters. Falls back to `image.<ext>` of the content type when nothing usable is left.
 */
export function safeFileName(filename: string | undefined, contentType: string): string {
  const extension = IMAGE_CONTENT_TYPES[mediaType(contentType)] ?? "bin";
  const cleaned = (filename ?? "")
    .split(/[\\/]/)
    .pop()!
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[.-]+/, "")
    .slice(-MAX_NAME_LENGTH);
  return cleaned.length > 0 && /[A-Za-z0-9]/.test(cleaned) ? cleaned : `image.${extension}`;
}

/**
 * `uploads/<tenant>/<id>/<safe-name>`: the tenant keeps each tenant's uploads apart, the id makes the key unique, the
 * name keeps it recognisable.
 */
export function uploadKey(tenant: string, id: string, filename: string | undefined, contentType: string): string {
  return `${tenantUploadsPrefix(tenant)}${id}/${safeFileName(filename, contentType)}`;
}

/** Where a tenant's uploads live: a task may read no upload outside its own tenant's prefix. */
export function tenantUploadsPrefix(tenant: string): string {
  return `${UPLOADS_PREFIX}${tenant}/`;
}

/** Where a task's outputs live: `results/<tenant>/<taskId>/`. */
export function taskResultsPrefix(task: { readonly tenant: string; readonly taskId: string }): string {
  return `results/${task.tenant}/${task.taskId}/`;
}

/** Whether `key` names an object under the uploads prefix (and nothing that could escape it). */
export function isUploadKey(key: string): boolean {
  return (
    key.startsWith(UPLOADS_PREFIX) &&
    key.length > UPLOADS_PREFIX.length &&
    key.length <= 1024 &&
    !key.split("/").some((segment) => segment === "." || segment === "..") &&
    ![...key].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f || char === "\\")
  );
}
