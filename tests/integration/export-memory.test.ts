/**
 * The worker's memory on an export several times larger than the bound: a file that were buffered whole, or a part
 * list that kept its bodies, would fail here, while streaming in parts passes with room to spare.
 *
 * Live memory is sampled, not allocation: every 100 ms the sampler forces a full GC (exposed at run time through
 * v8.setFlagsFromString, so no special test configuration is needed) and reads heapUsed + arrayBuffers (Buffers live
 * outside the heap); a baseline is taken the same way before the export.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import { createExportTaskType, MIN_PART_BYTES } from "../../lib/task-types/export/export.ts";
import { TaskTypeRegistry } from "../../lib/task-types/registry.ts";
import type { AnyTaskType } from "../../lib/task-types/task-type.ts";
import { seedOrders } from "../../scripts/demo-data.ts";
import { createTestStack, type TestStack } from "../support/stack.ts";
import { body, taskClient } from "../support/tasks.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const MiB = 2 ** 20;
/** ~80% of orders have a note: ~560 items × ~350 KB ≈ 160 MB of CSV from a table that seeds in seconds. */
const ROWS = 560;
const NOTE_BYTES = 350_000;
/**
 * Live heap + buffers above the lowest sample (75th percentile): two 5 MiB parts (one filling, one uploading), pages
 * and SDK buffers. A third of the file: buffering it whole puts most samples above it (measured: p75 58 MiB).
 */
const BOUND = 32 * MiB;

describe("export memory", () => {
  let stack: TestStack;
  let worker: RunningEventSource;

  beforeAll(async () => {
    const type = createExportTaskType({ partBytes: MIN_PART_BYTES });
    stack = await createTestStack({ taskTypes: new TaskTypeRegistry([type as unknown as AnyTaskType]) });
    await seedOrders(stack.clients.dynamo, stack.config.ordersTable, ROWS, { noteBytes: NOTE_BYTES, concurrency: 2 });
    worker = stack.startWorker({ concurrency: 1 });
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    // The shared emulator keeps tables and objects in memory: give back the ~300 MB this file put there.
    await stack?.clients.dynamo.send(new DeleteTableCommand({ TableName: stack.config.ordersTable })).catch(() => {});
  });

  it("streams a file several times larger than the bound with flat live memory", async () => {
    const live = () => {
      gc();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    // Growth: the 75th percentile of the samples above the lowest one (the baseline included). A buffering export
    // grows steadily with the file, so most of its samples sit far above the bound; a streaming one stays flat, and
    // a momentary spike on a loaded machine (a GC that lags, a socket backlog) cannot fail it alone.
    const samples: number[] = [live()];
    const sampler = setInterval(() => samples.push(live()), 100);
    const growth = () => {
      const sorted = [...samples].sort((a, b) => a - b);
      return (sorted[Math.floor(sorted.length * 0.75)] ?? 0) - (sorted[0] ?? 0);
    };
    const peak = () => Math.max(...samples) - Math.min(...samples);
    const tasks = taskClient(stack);
    let key = "";
    try {
      const { id } = body<{ id: string }>(await tasks.enqueue("export", { dataset: "orders" }));
      const view = await tasks.waitFor(id, ["succeeded", "failed"], 90_000);
      // First, so that a buffering export fails on memory even where the emulator then refuses its one huge PutObject.
      expect(growth()).toBeLessThan(BOUND);
      expect(view.status, JSON.stringify(view.error)).toBe("succeeded");
      const result = view.result as { key: string; bytes: number; rows: number };
      key = result.key;
      expect(result.rows).toBe(ROWS);
      expect((await stack.deps.services.blobs.head(key))?.bytes).toBe(result.bytes);

      console.info(
        `export memory: ${(result.bytes / MiB).toFixed(0)} MiB file; live memory above the lowest sample: ` +
          `p75 ${(growth() / MiB).toFixed(1)} MiB, max ${(peak() / MiB).toFixed(1)} MiB, over ${samples.length} samples`,
      );
      expect(result.bytes).toBeGreaterThan(3 * BOUND);
      expect(samples.length).toBeGreaterThan(10);
    } finally {
      clearInterval(sampler);
      if (key) await stack.deps.services.blobs.deleteMany([key]);
    }
  }, 120_000);
});
