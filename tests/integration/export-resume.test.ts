/**
 * Exports that do not finish in one delivery: a forced hand-over after every page (a deadline margin longer than the
 * whole attempt), a crash between uploading a part and checkpointing it, a permanent failure that must abort the
 * multipart upload. (The worker's memory on a large export: export-memory.test.ts.)
 */
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import { NonRetriableError } from "../../lib/domain/errors.ts";
import { createExportTaskType, MIN_PART_BYTES } from "../../lib/task-types/export/export.ts";
import { echoTaskType } from "../../lib/task-types/echo.ts";
import { TaskTypeRegistry } from "../../lib/task-types/registry.ts";
import type { AnyTaskType, TaskTypeDefinition } from "../../lib/task-types/task-type.ts";
import { seedOrders } from "../../scripts/demo-data.ts";
import { createTestStack, type TestStack } from "../support/stack.ts";
import { body, taskClient } from "../support/tasks.ts";

type ExportType = ReturnType<typeof createExportTaskType>;

/** An `export` type whose handler is chosen per task by the test, counting the deliveries it runs. */
function switchableExport(variants: Record<string, ExportType>, choose: () => string) {
  const counts = { invocations: 0 };
  const base = Object.values(variants)[0]!;
  const type: TaskTypeDefinition = {
    ...(base as unknown as AnyTaskType),
    handler: (input, context) => {
      counts.invocations++;
      return (variants[choose()]! as unknown as AnyTaskType).handler(input, context);
    },
  };
  return { type, counts };
}

async function download(tasks: ReturnType<typeof taskClient>, input: unknown) {
  const { id } = body<{ id: string }>(await tasks.enqueue("export", input));
  const view = await tasks.waitFor(id, ["succeeded", "failed"], 60_000);
  expect(view.status, JSON.stringify(view.error)).toBe("succeeded");
  const location = String((await tasks.result(id)).headers?.location);
  return { view, bytes: Buffer.from(await (await fetch(location)).arrayBuffer()) };
}

describe("a forced hand-over after every page", () => {
  let stack: TestStack;
  let worker: RunningEventSource;
  let mode = "straight";
  const { type, counts } = switchableExport(
    {
      straight: createExportTaskType({ pageSize: 20 }),
      // The margin exceeds the attempt: every page ends in a checkpoint and a new delivery.
      interrupted: createExportTaskType({ pageSize: 20, deadlineMarginMs: 24 * 3600_000 }),
    },
    () => mode,
  );

  beforeAll(async () => {
    stack = await createTestStack({ taskTypes: new TaskTypeRegistry([type]) });
    await seedOrders(stack.clients.dynamo, stack.config.ordersTable, 150);
    worker = stack.startWorker();
  });
  afterAll(async () => {
    await worker?.stop();
  });

  it.each([
    ["CSV", { dataset: "orders" }],
    ["gzipped JSON Lines", { dataset: "orders", format: "jsonl", gzip: true }],
  ])("produces the same %s file as an uninterrupted export, without using attempts", async (_, input) => {
    mode = "straight";
    const straight = await download(taskClient(stack), input);
    counts.invocations = 0;

    mode = "interrupted";
    const resumed = await download(taskClient(stack), input);

    expect(counts.invocations).toBeGreaterThanOrEqual(150 / 20);
    expect(resumed.view.attempt).toBe(1);
    expect(resumed.view.result).toMatchObject({ rows: 150 });
    const plain = (bytes: Buffer) => ("gzip" in input ? gunzipSync(bytes) : bytes).toString("utf8");
    expect(plain(resumed.bytes)).toBe(plain(straight.bytes));
    expect(plain(resumed.bytes).length).toBeGreaterThan(1000);
  });
});

describe("multi-part exports", () => {
  const ROWS = 1800;
  let stack: TestStack;
  let worker: RunningEventSource;
  let mode = "straight";
  /** Part numbers uploaded, per task. */
  const uploads = new Map<string, number[]>();
  const record = (taskId: string, part: number) => {
    uploads.set(taskId, [...(uploads.get(taskId) ?? []), part]);
  };
  const options = { partBytes: MIN_PART_BYTES, retry: { baseDelaySeconds: 1, jitter: 0 } };
  const { type } = switchableExport(
    {
      straight: createExportTaskType({ ...options, onPartUploaded: (part, context) => record(context.taskId, part) }),
      crashing: createExportTaskType({
        ...options,
        onPartUploaded: (part, context) => {
          record(context.taskId, part);
          // The worst moment: part 2 is in S3 but not in the checkpoint.
          if (part === 2 && context.attempt === 1) throw new Error("simulated crash after part 2");
        },
      }),
      failing: createExportTaskType({
        ...options,
        onPartUploaded: (part) => {
          if (part === 2) throw new NonRetriableError("simulated_failure", "simulated permanent failure");
        },
      }),
    },
    () => mode,
  );

  beforeAll(async () => {
    stack = await createTestStack({ taskTypes: new TaskTypeRegistry([type, echoTaskType as unknown as AnyTaskType]) });
    // About 15 MB of CSV: two 5 MiB parts and a last one.
    await seedOrders(stack.clients.dynamo, stack.config.ordersTable, ROWS, { noteBytes: 9_000, concurrency: 4 });
    worker = stack.startWorker({ concurrency: 1 });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
  });

  it("resumes a crashed attempt from its last checkpoint: same file, no part before it uploaded again", async () => {
    mode = "straight";
    const straight = await download(taskClient(stack), { dataset: "orders" });
    mode = "crashing";
    const resumed = await download(taskClient(stack), { dataset: "orders" });

    expect(uploads.get(straight.view.id)).toEqual([1, 2, 3]);
    // Attempt 1: parts 1 and 2 (crash before 2's checkpoint). Attempt 2: from after part 1.
    expect(uploads.get(resumed.view.id)).toEqual([1, 2, 2, 3]);
    expect(resumed.view.attempt).toBe(2);
    expect(resumed.view.result).toMatchObject({ rows: ROWS, bytes: straight.bytes.length });
    expect(resumed.bytes.equals(straight.bytes)).toBe(true);
  });

  it("aborts the multipart upload when the export fails for good", async () => {
    mode = "failing";
    const tasks = taskClient(stack);
    const { id } = body<{ id: string }>(await tasks.enqueue("export", { dataset: "orders" }));
    const view = await tasks.waitFor(id, ["failed", "succeeded"], 60_000);
    expect(view.status).toBe("failed");
    expect(view.error).toMatchObject({ code: "simulated_failure" });

    const record = (await stack.scanTasks()).find((task) => task.id === id) as { checkpoint?: { uploadId?: string; key: string } };
    const uploadId = record.checkpoint?.uploadId;
    expect(uploadId).toBeTruthy();
    await expect(
      stack.deps.services.blobs.uploadPart(record.checkpoint!.key, uploadId!, 9, Buffer.from("late")),
    ).rejects.toMatchObject({ name: "NoSuchUpload" });
  });
});
