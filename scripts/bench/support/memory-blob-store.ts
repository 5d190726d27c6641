/** An in-memory BlobStore for benchmarks: measures the handler's own work without a network or an emulator. */
import type { BlobHead, BlobStore, PutBlobOptions, SignedUpload, UploadedPart } from "../../../lib/ports.ts";

interface StoredBlob {
  readonly body: Buffer;
  readonly contentType: string;
  readonly cacheControl?: string | undefined;
}

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, StoredBlob>();

  async head(key: string): Promise<BlobHead | undefined> {
    const blob = this.objects.get(key);
    return blob && { bytes: blob.body.length, contentType: blob.contentType };
  }

  async get(key: string, options: { maxBytes?: number } = {}): Promise<Buffer | undefined> {
    const blob = this.objects.get(key);
    if (blob && options.maxBytes !== undefined && blob.body.length > options.maxBytes) {
      throw new Error(`Object ${key} is larger than ${options.maxBytes} bytes.`);
    }
    return blob?.body;
  }

  async put(key: string, body: Buffer | string, options: PutBlobOptions): Promise<void> {
    this.objects.set(key, { body: Buffer.from(body), contentType: options.contentType, cacheControl: options.cacheControl });
  }

  readonly #uploads = new Map<string, { key: string; options: PutBlobOptions; parts: Map<number, Buffer> }>();

  async createMultipartUpload(key: string, options: PutBlobOptions): Promise<string> {
    const uploadId = `upload-${this.#uploads.size + 1}`;
    this.#uploads.set(uploadId, { key, options, parts: new Map() });
    return uploadId;
  }

  async uploadPart(_key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart> {
    const upload = this.#uploads.get(uploadId);
    if (!upload) throw new Error(`No such upload ${uploadId}.`);
    upload.parts.set(partNumber, Buffer.from(body));
    return { PartNumber: partNumber, ETag: `"${partNumber}"` };
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<void> {
    const upload = this.#uploads.get(uploadId);
    if (!upload) throw new Error(`No such upload ${uploadId}.`);
    await this.put(key, Buffer.concat(parts.map((part) => upload.parts.get(part.PartNumber) ?? Buffer.alloc(0))), upload.options);
    this.#uploads.delete(uploadId);
  }

  async abortMultipartUpload(_key: string, uploadId: string): Promise<void> {
    this.#uploads.delete(uploadId);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }

  async signedDownloadUrl(key: string): Promise<string> {
    return `memory://${key}`;
  }

  async signedUpload(key: string, options: { contentType: string; bytes: number; expiresInSeconds: number }): Promise<SignedUpload> {
    return {
      url: `memory://${key}`,
      method: "PUT",
      headers: { "content-type": options.contentType, "content-length": String(options.bytes) },
      expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000).toISOString(),
    };
  }
}
