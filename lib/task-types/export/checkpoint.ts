/**
 * What an export saves between deliveries. Everything in it is durable: the parts already in the multipart upload,
 * the table position right after the last row those parts (plus `pending`) hold, and the counts up to there.
 * Rows read after that position were never committed anywhere, so a resumed run re-reads them: nothing is written
 * twice and nothing is skipped.
 */
import { z } from "zod";
import type { StoredItem, UploadedPart } from "../../ports.ts";

export interface ExportCheckpoint {
  readonly version: 1;
  /** The object being written (a checkpoint for another key is ignored). */
  readonly key: string;
  /** Undefined until the first part is uploaded. */
  readonly uploadId?: string | undefined;
  readonly parts: readonly UploadedPart[];
  /** Output bytes after the parts, not yet uploaded: kept here while small (see MAX_PENDING_BYTES). */
  readonly pending?: Uint8Array | undefined;
  /** Where to continue reading; undefined at the start, or once `exhausted`. */
  readonly startKey?: StoredItem | undefined;
  /** True once every page has been read into parts + pending: only the upload's completion is left. */
  readonly exhausted: boolean;
  /** Data rows in parts + pending (the header is not a row). */
  readonly rows: number;
  /** Output bytes in parts + pending. */
  readonly bytes: number;
  /** Items DynamoDB evaluated so far (before any filter), for the percentage of a scan. */
  readonly scanned: number;
}

const schema = z.object({
  version: z.literal(1),
  key: z.string(),
  uploadId: z.string().optional(),
  parts: z.array(z.object({ PartNumber: z.number().int().positive(), ETag: z.string() })),
  pending: z.instanceof(Uint8Array).optional(),
  startKey: z.record(z.string(), z.any()).optional(),
  exhausted: z.boolean(),
  rows: z.number().int().min(0),
  bytes: z.number().int().min(0),
  scanned: z.number().int().min(0),
});

/** The saved checkpoint for `key`, or undefined (none, or one this code cannot read: the export starts over). */
export function readCheckpoint(saved: unknown, key: string): ExportCheckpoint | undefined {
  const parsed = schema.safeParse(saved);
  if (!parsed.success || parsed.data.key !== key) return undefined;
  return parsed.data as ExportCheckpoint;
}

export function freshCheckpoint(key: string): ExportCheckpoint {
  return { version: 1, key, parts: [], exhausted: false, rows: 0, bytes: 0, scanned: 0 };
}
