/**
 * The S3 requests that carry a body — PutObject and UploadPart — taken by the front router instead of fauxqs, whose
 * Fastify app refuses any body over 11 MiB: here they are accepted up to S3's own single-PUT limit (5 GiB). The body is
 * read straight into one buffer of the declared Content-Length, which the in-memory store then keeps (no second copy),
 * and stored through fauxqs' S3 store, so every other S3 call (GET, HEAD, list, multipart) sees it as usual.
 */
import { constants } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fauxqs } from "./fauxqs.ts";
import { requestIdHeaders, type S3Error, sendS3Error } from "./s3-answers.ts";

/** S3's largest single PUT (PutObject or one part of a multipart upload). */
export const S3_MAX_PUT_BYTES = 5 * 1024 ** 3;

/** The most one PUT may carry here: S3's limit, or less where one Node buffer cannot hold that much (4 GiB on Node 20). */
const MAX_PUT_BYTES = Math.min(S3_MAX_PUT_BYTES, constants.MAX_LENGTH);

/** A PUT with a body, addressed: an object, or one part of a multipart upload. */
export type BodyPut =
  | { readonly kind: "object"; readonly bucket: string; readonly key: string }
  | { readonly kind: "part"; readonly bucket: string; readonly key: string; readonly uploadId: string; readonly partNumber: number };

/** The body PUT this module takes, or `undefined` for what fauxqs handles itself (CreateBucket, CopyObject, ...). */
export function bodyPut(req: IncomingMessage): BodyPut | undefined {
  if (req.method !== "PUT" || req.headers["x-amz-copy-source"] !== undefined) return undefined;
  const url = req.url ?? "/";
  const queryAt = url.includes("?") ? url.indexOf("?") : url.length;
  const address = objectAddress(url.slice(0, queryAt), String(req.headers.host ?? ""));
  if (!address) return undefined;
  const query = new URLSearchParams(url.slice(queryAt + 1));
  const uploadId = query.get("uploadId");
  const partNumber = Number(query.get("partNumber"));
  if (uploadId && Number.isInteger(partNumber) && partNumber > 0) return { kind: "part", ...address, uploadId, partNumber };
  return { kind: "object", ...address };
}

/** Reads the body of `put` and stores it; answers as S3 does (200 with the ETag, or S3's XML error). */
export async function storeBodyPut(req: IncomingMessage, res: ServerResponse, put: BodyPut, fauxqs: Fauxqs): Promise<void> {
  const contentLength = byteCount(req.headers["content-length"]);
  // The SDK streams bodies of known size but unknown encoded size as `aws-chunked` (trailing checksum), chunked.
  const awsChunked = /aws-chunked/.test(req.headers["content-encoding"] ?? "");
  const decodedLength = awsChunked ? byteCount(req.headers["x-amz-decoded-content-length"]) : undefined;
  const size = decodedLength ?? contentLength;
  if (size === undefined) {
    sendS3Error(res, { status: 411, code: "MissingContentLength", message: "You must provide the Content-Length HTTP header." }, req.method);
    return;
  }
  if (size > MAX_PUT_BYTES) {
    sendS3Error(res, tooLarge(size), req.method);
    return;
  }
  const body = contentLength === undefined ? await readChunked(req, MAX_PUT_BYTES) : await readExactly(req, contentLength);
  const bytes = body && awsChunked ? fauxqs.decodeAwsChunked(body) : body;
  if (!bytes || bytes.length !== size) {
    if (!res.destroyed) sendS3Error(res, incompleteBody, req.method);
    return;
  }
  let etag: string;
  try {
    etag =
      put.kind === "part"
        ? fauxqs.s3Store.uploadPart(put.uploadId, put.partNumber, bytes)
        : fauxqs.s3Store.putObject(put.bucket, put.key, bytes, req.headers["content-type"] ?? "application/octet-stream", metadata(req)).etag;
  } catch (error) {
    const refusal = storeRefusal(error);
    if (!refusal) throw error;
    sendS3Error(res, refusal, req.method);
    return;
  }
  res.writeHead(200, { ...requestIdHeaders(), etag, "content-length": 0 }).end();
}

/**
 * Bucket and key of an object request: path style (`/bucket/key`, on an IP address or a plain host name such as
 * `localhost`) or virtual-hosted style (`bucket.host/key`), as fauxqs' own router tells them apart.
 */
function objectAddress(rawPath: string, host: string): { bucket: string; key: string } | undefined {
  const hostname = host.replace(/:\d+$/, "");
  const virtualHosted = hostname.includes(".") && !/^\d+\.\d+\.\d+\.\d+$/.test(hostname);
  const path = virtualHosted ? `/${hostname.slice(0, hostname.indexOf("."))}${rawPath}` : rawPath;
  const match = /^\/([^/]+)\/(.+)$/.exec(path);
  if (!match) return undefined;
  try {
    return { bucket: decodeURIComponent(match[1]!), key: decodeURIComponent(match[2]!) };
  } catch {
    return undefined; // a malformed escape: fauxqs answers it
  }
}

/** The whole body in one buffer of `length` bytes, or `undefined` if the client sent less (or went away). */
async function readExactly(req: IncomingMessage, length: number): Promise<Buffer | undefined> {
  const body = Buffer.allocUnsafe(length);
  let received = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      if (received + chunk.length > length) return undefined; // cannot happen: Node frames the body by Content-Length
      chunk.copy(body, received);
      received += chunk.length;
    }
  } catch {
    return undefined; // the connection was cut mid-body
  }
  return received === length ? body : undefined;
}

/** A body of unknown length (Transfer-Encoding: chunked), up to `limit` bytes; `undefined` past it or if cut. */
async function readChunked(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let received = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > limit) return undefined;
      chunks.push(chunk);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks, received);
}

function byteCount(header: string | string[] | undefined): number | undefined {
  return typeof header === "string" && /^\d+$/.test(header) ? Number(header) : undefined;
}

/** `x-amz-meta-*` headers, as S3 keeps them: user metadata. */
function metadata(req: IncomingMessage): Record<string, string> {
  const entries = Object.entries(req.headers).filter(([name, value]) => name.startsWith("x-amz-meta-") && value !== undefined);
  return Object.fromEntries(entries.map(([name, value]) => [name.slice("x-amz-meta-".length), String(value)]));
}

function tooLarge(length: number): S3Error {
  const overS3Limit = length > S3_MAX_PUT_BYTES;
  return {
    status: 400,
    code: "EntityTooLarge",
    message: overS3Limit
      ? "Your proposed upload exceeds the maximum allowed size"
      : `Your proposed upload exceeds the maximum allowed size of this emulator, which keeps each object in one buffer (at most ${MAX_PUT_BYTES} bytes on this Node version; S3 takes up to 5 GiB)`,
    details: { ProposedSize: length, MaxSizeAllowed: overS3Limit ? S3_MAX_PUT_BYTES : MAX_PUT_BYTES },
  };
}

const incompleteBody: S3Error = {
  status: 400,
  code: "IncompleteBody",
  message: "You did not provide the number of bytes specified by the Content-Length HTTP header.",
};

/** fauxqs' store throws S3 errors (NoSuchBucket, NoSuchUpload) with a code and an HTTP status. */
function storeRefusal(error: unknown): S3Error | undefined {
  const { code, statusCode, message } = (error ?? {}) as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (typeof code !== "string" || typeof statusCode !== "number") return undefined;
  return { status: statusCode, code, message: String(message) };
}
