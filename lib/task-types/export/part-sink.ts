/**
 * The export's output: bytes are buffered per page and uploaded as parts of a multipart upload once `partBytes` are
 * waiting; every uploaded part is followed by a checkpoint. A part uploads while the next one fills, so reading does
 * not stop for uploads; memory holds at most the part in flight, the part filling and one page.
 *
 * With gzip, every chunk handed to `write` becomes its own gzip member: a file of concatenated members is a valid
 * gzip file (RFC 1952), and no compressor state has to survive between deliveries.
 */
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { BlobStore, PutBlobOptions, StoredItem, UploadedPart } from "../../ports.ts";
import type { ExportCheckpoint } from "./checkpoint.ts";

const gzip = promisify(gzipCallback);

/** S3's minimum size for every part but the last. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Largest leftover kept inside the checkpoint (a DynamoDB item holds at most 400 KB). */
export const MAX_PENDING_BYTES = 128 * 1024;

export interface PartSinkOptions {
  readonly blobs: BlobStore;
  readonly key: string;
  readonly put: PutBlobOptions;
  /** Upload a part once this many bytes wait (at least MIN_PART_BYTES on S3). */
  readonly partBytes: number;
  readonly gzip: boolean;
  readonly state: ExportCheckpoint;
  readonly saveCheckpoint: (state: ExportCheckpoint) => Promise<void>;
  readonly signal: AbortSignal;
  /** Test hook: runs after a part is uploaded and before its checkpoint is saved (the worst moment to crash). */
  readonly onPartUploaded?: ((partNumber: number) => void | Promise<void>) | undefined;
}

export interface Position {
  readonly startKey: StoredItem | undefined;
  readonly exhausted: boolean;
  readonly rows: number;
  readonly scanned: number;
}

export class PartSink {
  readonly #options: PartSinkOptions;
  /** Durable: what the last saved checkpoint says (or the fresh state). */
  #committed: ExportCheckpoint;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #position: Position;
  /** Bytes in the uploaded parts. */
  #uploadedBytes: number;
  /** The part being uploaded (and then checkpointed) while the next one fills; at most one at a time. */
  #inFlight: Promise<void> | undefined;

  constructor(options: PartSinkOptions) {
    this.#options = options;
    this.#committed = options.state;
    this.#uploadedBytes = options.state.bytes - (options.state.pending?.length ?? 0);
    if (options.state.pending?.length) this.#push(Buffer.from(options.state.pending));
    const { startKey, exhausted, rows, scanned } = options.state;
    this.#position = { startKey, exhausted, rows, scanned };
  }

  /** Rows and items evaluated so far, committed or buffered. */
  get position(): Position {
    return this.#position;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Appends a chunk (the rows of one page) and the position after it. Once enough is waiting, the part is uploaded
   * and checkpointed in the background while the caller reads on; a further part first waits for that one (so at
   * most two parts are in memory) and rethrows its failure.
   */
  async write(text: string, position: Position): Promise<void> {
    if (text.length > 0) {
      const raw = Buffer.from(text, "utf8");
      this.#push(this.#options.gzip ? await gzip(raw) : raw);
    }
    this.#position = position;
    if (this.#buffered >= this.#options.partBytes) await this.#startPart({ save: true });
  }

  /**
   * Makes everything so far durable, for a hand-over to another delivery. Returns false when that is not possible
   * yet (too much buffered for the checkpoint, too little for a part): the caller reads on and asks again.
   */
  async checkpoint(): Promise<boolean> {
    await this.#settle();
    if (this.#buffered >= MIN_PART_BYTES) {
      await this.#startPart({ save: true });
      await this.#settle();
      return true;
    }
    if (this.#buffered > MAX_PENDING_BYTES) return false;
    await this.#commit(this.#position, { pending: this.#buffered ? Buffer.concat(this.#chunks) : undefined });
    return true;
  }

  /** Uploads what is left and completes the object; returns its size. */
  async finish(): Promise<number> {
    await this.#settle();
    const { blobs, key } = this.#options;
    const bytes = this.#uploadedBytes + this.#buffered;
    if (!this.#committed.uploadId) {
      // Everything fits one request: no multipart upload was ever started.
      await blobs.put(key, Buffer.concat(this.#chunks), { ...this.#options.put, signal: this.#options.signal });
      return bytes;
    }
    try {
      if (this.#buffered > 0) {
        await this.#startPart({ save: false });
        await this.#settle();
      }
      await blobs.completeMultipartUpload(key, this.#committed.uploadId, this.#committed.parts);
    } catch (error) {
      // A crash after the completion and before the task's success leaves the object done and the upload gone.
      const head = await blobs.head(key).catch(() => undefined);
      if (head?.bytes !== bytes) throw error;
    }
    return bytes;
  }

  /** Waits for a background upload to end, ignoring its outcome: call before giving up on an export. */
  async abandon(): Promise<void> {
    await this.#settle().catch(() => {});
  }

  #push(chunk: Buffer) {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** Waits for the part in flight, if any; rethrows its failure. */
  async #settle() {
    const inFlight = this.#inFlight;
    this.#inFlight = undefined;
    await inFlight;
  }

  /** Cuts the buffer into the next part and starts uploading it (after the previous part is done). */
  async #startPart(options: { save: boolean }) {
    await this.#settle();
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [];
    this.#buffered = 0;
    const upload = this.#uploadPart(body, this.#position, options);
    // Observed by the next #settle; until then a failure must not count as unhandled.
    upload.catch(() => {});
    this.#inFlight = upload;
  }

  async #uploadPart(body: Buffer, position: Position, options: { save: boolean }) {
    const { blobs, key, signal } = this.#options;
    const uploadId = this.#committed.uploadId ?? (await blobs.createMultipartUpload(key, { ...this.#options.put, signal }));
    const partNumber = this.#committed.parts.length + 1;
    // The same part number on a resumed run replaces whatever a crashed run uploaded there.
    const part: UploadedPart = await blobs.uploadPart(key, uploadId, partNumber, body, signal);
    await this.#options.onPartUploaded?.(partNumber);
    this.#committed = { ...this.#committed, uploadId, parts: [...this.#committed.parts, part], pending: undefined };
    this.#uploadedBytes += body.length;
    if (options.save) await this.#commit(position, { pending: undefined });
  }

  async #commit(position: Position, extra: { pending: Buffer | undefined }) {
    const next: ExportCheckpoint = {
      ...this.#committed,
      pending: extra.pending,
      startKey: position.startKey,
      exhausted: position.exhausted,
      rows: position.rows,
      scanned: position.scanned,
      bytes: this.#uploadedBytes + (extra.pending?.length ?? 0),
    };
    await this.#options.saveCheckpoint(next);
    this.#committed = next;
  }
}
