/** BlobStore on S3: task inputs (uploads) and outputs (results) in the one private results bucket. */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { attachment } from "../domain/content-disposition.ts";
import type { Readable } from "node:stream";
import type {
  BlobHead,
  BlobStore,
  PutBlobOptions,
  SignedDownloadOptions,
  SignedUpload,
  SignedUploadOptions,
  UploadedPart,
} from "../ports.ts";

export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: { client: S3Client; bucket: string }) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  get bucket(): string {
    return this.#bucket;
  }

  async head(key: string): Promise<BlobHead | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return { bytes: head.ContentLength ?? 0, contentType: head.ContentType, etag: head.ETag };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async get(key: string, options: { maxBytes?: number; signal?: AbortSignal } = {}): Promise<Buffer | undefined> {
    try {
      const response = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }), {
        abortSignal: options.signal,
      });
      const body = response.Body as Readable | undefined;
      if (!body) return Buffer.alloc(0);
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of body) {
        total += (chunk as Buffer).length;
        if (options.maxBytes !== undefined && total > options.maxBytes) {
          body.destroy();
          throw new BlobTooLargeError(key, options.maxBytes);
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async put(key: string, body: Buffer | string, options: PutBlobOptions): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        CacheControl: options.cacheControl,
        ContentDisposition: options.contentDisposition,
      }),
      { abortSignal: options.signal },
    );
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      if (batch.length === 0) continue;
      await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: this.#bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
    }
  }

  async signedDownloadUrl(key: string, options: SignedDownloadOptions): Promise<string> {
    return getSignedUrl(
      this.#client,
      new GetObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ResponseContentDisposition: options.filename ? attachment(options.filename) : undefined,
      }),
      { expiresIn: options.expiresInSeconds },
    );
  }

  /**
   * A presigned PUT that signs `content-length` and `content-type`: real S3 refuses any other size or type.
   * (The embedded emulator checks the signature the same way; the worker still re-checks what it reads.)
   */
  async signedUpload(key: string, options: SignedUploadOptions): Promise<SignedUpload> {
    const url = await getSignedUrl(
      this.#client,
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        ContentType: options.contentType,
        ContentLength: options.bytes,
      }),
      { expiresIn: options.expiresInSeconds, signableHeaders: new Set(["content-type", "content-length"]) },
    );
    return {
      url,
      method: "PUT",
      headers: { "content-type": options.contentType, "content-length": String(options.bytes) },
      expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000).toISOString(),
    };
  }

  async createMultipartUpload(key: string, options: PutBlobOptions): Promise<string> {
    const { UploadId } = await this.#client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: key,
        ContentType: options.contentType,
        CacheControl: options.cacheControl,
        ContentDisposition: options.contentDisposition,
      }),
      { abortSignal: options.signal },
    );
    if (!UploadId) throw new Error(`S3 returned no upload id for ${key}.`);
    return UploadId;
  }

  async uploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Buffer,
    signal?: AbortSignal,
  ): Promise<UploadedPart> {
    const { ETag } = await this.#client.send(
      new UploadPartCommand({
        Bucket: this.#bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
      }),
      { abortSignal: signal },
    );
    if (!ETag) throw new Error(`S3 returned no ETag for part ${partNumber} of ${key}.`);
    return { PartNumber: partNumber, ETag };
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void> {
    await this.#client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.#bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) },
      }),
    );
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchUpload" || isMissing(error)) return;
      throw error;
    }
  }
}

export class BlobTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly maxBytes: number,
  ) {
    super(`Object ${key} is larger than ${maxBytes} bytes.`);
  }
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    error instanceof NotFound ||
    (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
  );
}
