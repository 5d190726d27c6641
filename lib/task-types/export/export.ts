/**
 * `export`: streams an allow-listed DynamoDB dataset (a Query on one partition, or a Scan) into one CSV or JSON Lines
 * object in the results bucket, page by page in constant memory, and hands back a download link.
 *
 * Long exports do not restart. Every uploaded part is checkpointed (upload id, parts, table position, counts). Near
 * its deadline a run checkpoints and throws ContinueLater, and the next delivery resumes from there without using an
 * attempt; a crashed attempt's retry resumes from the last checkpoint too. Rows after the checkpointed position
 * were never committed, so they are read again: the final object has no duplicated or missing rows.
 */
import { attachment } from "../../domain/content-disposition.ts";
import { ContinueLater, ValidationError } from "../../domain/errors.ts";
import { taskResultsPrefix } from "../../domain/uploads.ts";
import type { RetryPolicy } from "../../domain/retry.ts";
import type { DatasetPage, DatasetPageRequest } from "../../ports.ts";
import { defineTaskType, type TaskContext, type TaskServices } from "../task-type.ts";
import { freshCheckpoint, readCheckpoint } from "./checkpoint.ts";
import { type DatasetDefinition, exportableDatasets, findDataset, mayExport } from "./datasets.ts";
import { csvHeader, encodeRows } from "./encode.ts";
import { buildExpression } from "./filter.ts";
import { type ExportInput, exportInput } from "./input.ts";
import { MIN_PART_BYTES, PartSink, type Position } from "./part-sink.ts";

export interface ExportResult {
  readonly key: string;
  readonly bytes: number;
  readonly rows: number;
  readonly contentType: string;
  readonly filename: string;
}

export interface ExportTaskOptions {
  /** Upload a part once this many output bytes wait. Default 8 MiB; S3 wants at least 5 MiB. */
  readonly partBytes?: number;
  /** Items per Query/Scan page. Default 1000 (DynamoDB also stops a page at 1 MB). */
  readonly pageSize?: number;
  /** Checkpoint and hand over this long before the attempt's deadline. Default 30 s. */
  readonly deadlineMarginMs?: number;
  /** Seconds one delivery may run (capped by the worker's own timeout). Default 900. */
  readonly timeoutSeconds?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Test hook: runs after a part is uploaded, before its checkpoint is saved. */
  readonly onPartUploaded?: (partNumber: number, context: TaskContext) => void | Promise<void>;
}

/** How long a presented download link stays valid. */
const DOWNLOAD_URL_SECONDS = 15 * 60;

export function createExportTaskType(options: ExportTaskOptions = {}) {
  const partBytes = options.partBytes ?? 8 * 1024 * 1024;
  const pageSize = options.pageSize ?? 1000;
  const marginMs = options.deadlineMarginMs ?? 30_000;

  return defineTaskType({
    name: "export",
    description: "Exports an allow-listed DynamoDB dataset to CSV or JSON Lines, resumably; result: a download link.",
    input: exportInput,
    timeoutSeconds: options.timeoutSeconds ?? 900,
    retry: { maxAttempts: 3, baseDelaySeconds: 5, factor: 4, ...options.retry },
    retentionDays: 7,
    checkAccess(input, { tenant, config }) {
      if (mayExport(config, tenant, input.dataset)) return;
      const allowed = exportableDatasets(config, tenant);
      throw new ValidationError("invalid_input", `Dataset ${JSON.stringify(input.dataset)} is not available to you.`, {
        type: "export",
        issues: [
          { path: "dataset", message: `datasets you may export: ${allowed.length ? allowed.join(", ") : "none"}` },
        ],
      });
    },
    async handler(input, context): Promise<ExportResult> {
      const dataset = findDataset(input.dataset);
      if (!dataset) throw new Error(`Dataset ${input.dataset} vanished after validation.`);
      const file = describeFile(input, context);
      const columns = input.columns ?? dataset.defaultColumns;
      const { datasets, blobs } = context.services;
      const saved = readCheckpoint(context.checkpoint, file.key);
      const sink = new PartSink({
        blobs,
        key: file.key,
        put: { contentType: file.contentType, contentDisposition: attachment(file.filename) },
        partBytes: Math.max(partBytes, 1),
        gzip: input.gzip,
        state: saved ?? freshCheckpoint(file.key),
        saveCheckpoint: (state) => context.saveCheckpoint(state),
        signal: context.signal,
        onPartUploaded: options.onPartUploaded && ((part) => options.onPartUploaded?.(part, context)),
      });
      const csv = { escapeFormulas: input.escapeFormulas };
      if (!saved) {
        const prefix = (input.bom ? "\uFEFF" : "") + (input.format === "csv" ? csvHeader(columns, csv) : "");
        await sink.write(prefix, sink.position);
      }

      const expression = buildExpression(dataset, input.filter);
      const progress = await progressReporter(dataset, expression?.keyCondition !== undefined, context);
      const read = (startKey: DatasetPageRequest["startKey"]) =>
        datasets.readPage({
          dataset: dataset.id,
          indexName: dataset.indexName,
          expression,
          limit: pageSize,
          startKey,
          signal: context.signal,
        });

      const softDeadline = context.deadline - marginMs;
      let next: Promise<DatasetPage> | undefined = sink.position.exhausted ? undefined : read(sink.position.startKey);
      const copy = async () => {
        while (next) {
          const page: DatasetPage = await next;
          // Read the next page while this one is encoded and uploaded.
          next = page.lastEvaluatedKey ? read(page.lastEvaluatedKey) : undefined;
          next?.catch(() => {});
          // Let the SDK put that request on the wire before the synchronous encoding below: otherwise its signing and
          // sending wait behind the encoding, and the table sits idle for that long on every page.
          if (next) await yieldToEventLoop();
          const before = sink.position;
          const position: Position = {
            startKey: page.lastEvaluatedKey,
            exhausted: !page.lastEvaluatedKey,
            rows: before.rows + page.items.length,
            scanned: before.scanned + page.scanned,
          };
          await sink.write(encodeRows(page.items, columns, input.format, csv), position);
          await progress(position);
          if (next && Date.now() >= softDeadline && (await sink.checkpoint())) {
            throw new ContinueLater(`Exported ${position.rows} rows so far; continuing in a new delivery.`);
          }
        }

        return await sink.finish();
      };
      // A part may still be uploading when something fails: let it end before the delivery does.
      const bytes = await copy().catch(async (error: unknown) => {
        await sink.abandon();
        throw error;
      });
      await progress(sink.position, true);
      return { key: file.key, bytes, rows: sink.position.rows, contentType: file.contentType, filename: file.filename };
    },
    async presentResult(result: ExportResult, services: TaskServices) {
      const url = await services.blobs.signedDownloadUrl(result.key, {
        expiresInSeconds: DOWNLOAD_URL_SECONDS,
        filename: result.filename,
      });
      return { ...result, url, urlExpiresAt: new Date(Date.now() + DOWNLOAD_URL_SECONDS * 1000).toISOString() };
    },
    async onFailed(checkpoint: unknown, services: TaskServices) {
      const saved = readCheckpoint(checkpoint, (checkpoint as { key?: string } | undefined)?.key ?? "");
      if (saved?.uploadId) await services.blobs.abortMultipartUpload(saved.key, saved.uploadId);
    },
  });
}

/** The built-in instance (production defaults). */
export const exportTaskType = createExportTaskType();

export { MIN_PART_BYTES };

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function describeFile(input: ExportInput, task: { tenant: string; taskId: string }) {
  const { taskId } = task;
  const extension = input.format === "csv" ? "csv" : "jsonl";
  const filename = `${input.dataset}-${taskId}.${extension}${input.gzip ? ".gz" : ""}`;
  const contentType = input.gzip
    ? "application/gzip"
    : input.format === "csv"
      ? "text/csv; charset=utf-8; header=present"
      : "application/x-ndjson; charset=utf-8";
  return { key: `${taskResultsPrefix(task)}${filename}`, filename, contentType };
}

/**
 * Progress: rows exported, and for a whole-table scan a percentage from DynamoDB's ItemCount, which is refreshed
 * only about every six hours: an estimate, and said to be one. A Query's size is unknown, so it gets no percentage.
 */
async function progressReporter(dataset: DatasetDefinition, isQuery: boolean, context: TaskContext) {
  const estimate = isQuery
    ? undefined
    : await context.services.datasets.approximateItemCount(dataset.id).catch(() => undefined);
  return (position: Position, done = false) => {
    const percent = done
      ? 100
      : estimate
        ? Math.min(99, Math.floor((position.scanned / estimate) * 100))
        : undefined;
    const message = done
      ? `${position.rows} rows exported`
      : estimate
        ? `${position.rows} rows exported; about ${percent}% of the table read (DynamoDB's item count is an estimate)`
        : `${position.rows} rows exported`;
    return context.reportProgress({ percent, current: position.rows, message });
  };
}
