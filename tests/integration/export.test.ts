/**
 * Export tasks end to end on the emulator: the real worker, the real SDK, a seeded table of awkward values, the file
 * parsed back with a real CSV parser and compared cell by cell with the source items.
 */
import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { ordersDataset } from "../../lib/task-types/export/datasets.ts";
import { seedOrders } from "../../scripts/demo-data.ts";
import { jsonRequest } from "../support/events.ts";
import { expectedCell, expectedJsonLine, readSourceItems, rowKey } from "../support/export-reference.ts";
import { createTestStack, TEST_TENANT, type TestStack } from "../support/stack.ts";
import { body, taskClient } from "../support/tasks.ts";

const ROWS = 300;
let stack: TestStack;
let worker: RunningEventSource;
let tasks: ReturnType<typeof taskClient>;
let source: Record<string, unknown>[];

beforeAll(async () => {
  stack = await createTestStack();
  tasks = taskClient(stack);
  await seedOrders(stack.clients.dynamo, stack.config.ordersTable, ROWS);
  source = await readSourceItems(stack.endpoint, stack.config.ordersTable);
  worker = stack.startWorker();
});

afterAll(async () => {
  await worker?.stop();
});

/** Runs an export to success and downloads its file through GET /tasks/{id}/result. */
async function exportAndDownload(input: Record<string, unknown>) {
  const response = await tasks.enqueue("export", input);
  expect(response.statusCode).toBe(202);
  const { id } = body<{ id: string }>(response);
  const view = await tasks.waitFor(id);
  expect(view.status).toBe("succeeded");
  const redirect = await tasks.result(id);
  expect(redirect.statusCode).toBe(302);
  const url = String(redirect.headers?.location);
  const download = await fetch(url);
  expect(download.status).toBe(200);
  return { view, url, bytes: Buffer.from(await download.arrayBuffer()) };
}

describe("export", () => {
  it("writes every awkward value of the seeded table to RFC 4180 CSV, exactly (formulas neutralised by default)", async () => {
    const { view, url, bytes } = await exportAndDownload({ dataset: "orders" });

    const result = view.result as Record<string, unknown>;
    expect(result).toMatchObject({ rows: ROWS, bytes: bytes.length, contentType: "text/csv; charset=utf-8; header=present" });
    expect(result.filename).toBe(`orders-${view.id}.csv`);
    expect(result.key).toBe(`results/${TEST_TENANT}/${view.id}/orders-${view.id}.csv`);
    expect(url).toContain("response-content-disposition=attachment");
    expect(view.progress).toMatchObject({ percent: 100 });

    const text = bytes.toString("utf8");
    expect(text.startsWith("customerId,orderId,")).toBe(true);
    expect(text.endsWith("\r\n")).toBe(true);
    const [header, ...rows] = parse(text, { relax_column_count: false }) as string[][];
    const columns = ordersDataset.defaultColumns;
    expect(header).toEqual(columns);
    expect(rows).toHaveLength(ROWS);
    const byKey = new Map(source.map((item) => [rowKey(item.customerId as string, item.orderId as string), item]));
    const seen = new Set<string>();
    for (const row of rows) {
      const key = rowKey(row[0]!, row[1]!);
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      const item = byKey.get(key);
      expect(item).toBeDefined();
      for (const [i, column] of columns.entries()) {
        expect(row[i], `${key} ${column}`).toBe(expectedCell(item![column], { escapeFormulas: true }));
      }
    }
    // The awkward values really are there, and survived.
    expect(rows.some((row) => row.some((cell) => cell.includes("\n")))).toBe(true);
    expect(rows.some((row) => row.includes("12345678901234567890.123"))).toBe(true);
    expect(rows.some((row) => row[columns.indexOf("note")] === "")).toBe(true);
    expect(rows.some((row) => row[columns.indexOf("note")] === "'=SUM(A1:A2) looks like a formula")).toBe(true);
  });

  it("writes JSON Lines with exact numbers, chosen columns and gzip", async () => {
    const columns = ["orderId", "total", "discount", "priorityScores", "address", "attachment"];
    const { view, bytes } = await exportAndDownload({ dataset: "orders", format: "jsonl", gzip: true, columns });

    expect(view.result).toMatchObject({ contentType: "application/gzip", rows: ROWS });
    const lines = gunzipSync(bytes).toString("utf8").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(ROWS);
    const byOrder = new Map(source.map((item) => [item.orderId as string, item]));
    for (const line of lines) {
      const orderId = (JSON.parse(line) as { orderId: string }).orderId;
      expect(line).toBe(expectedJsonLine(byOrder.get(orderId)!, columns));
    }
    expect(lines.some((line) => line.includes('"total":99999999999999999999999999999999999999'))).toBe(true);
  });

  it("queries one partition with attribute conditions, and adds a BOM when asked", async () => {
    const customerId = "cust-00003";
    const conditions = [
      { attribute: "quantity", op: "gte", value: 3 },
      { attribute: "note", op: "exists" },
    ];
    const { bytes } = await exportAndDownload({
      dataset: "orders",
      bom: true,
      columns: ["orderId", "quantity", "note"],
      filter: { partitionKey: customerId, conditions },
    });

    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const [, ...rows] = parse(bytes.toString("utf8"), { bom: true }) as string[][];
    const expected = source
      .filter((item) => item.customerId === customerId && Number(expectedCell(item.quantity)) >= 3 && item.note !== undefined)
      .map((item) => [item.orderId, expectedCell(item.quantity), expectedCell(item.note, { escapeFormulas: true })])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(expected.length).toBeGreaterThan(0);
    expect(rows).toEqual(expected);
  });

  it("writes a header-only file when nothing matches", async () => {
    const { view, bytes } = await exportAndDownload({
      dataset: "orders",
      columns: ["orderId", "note"],
      filter: { partitionKey: "no-such-customer" },
    });

    expect(bytes.toString("utf8")).toBe("orderId,note\r\n");
    expect(view.result).toMatchObject({ rows: 0, bytes: 14 });
  });

  it.each([
    [{ dataset: "users" }, "dataset"],
    [{ dataset: "orders", columns: ["orderId", "password"] }, "columns.1"],
    [{ dataset: "orders", columns: ["orderId", "orderId"] }, "columns.1"],
    [{ dataset: "orders", filter: { conditions: [{ attribute: "secret", op: "eq", value: 1 }] } }, "filter.conditions.0.attribute"],
    [{ dataset: "orders", filter: { conditions: [{ attribute: "total", op: "gt" }] } }, "filter.conditions.0.value"],
    [{ dataset: "orders", filter: { conditions: [{ attribute: "note", op: "begins_with", value: 3 }] } }, "filter.conditions.0.value"],
    [{ dataset: "orders", filter: { conditions: [{ attribute: "note", op: "like", value: "x" }] } }, "filter.conditions.0.op"],
    [{ dataset: "orders", filter: { partitionKey: 42 } }, "filter.partitionKey"],
    [{ dataset: "orders", format: "xlsx" }, "format"],
    [{ dataset: "orders", format: "jsonl", bom: true }, "bom"],
    [{ dataset: "orders", escapeFormulas: "yes" }, "escapeFormulas"],
    [{ dataset: "orders", table: "offload-test-tasks" }, "(root)"],
  ])("refuses %j with a 400 naming %s, writing nothing", async (input, path) => {
    const tasksBefore = (await stack.scanTasks()).length;

    const response = await tasks.enqueue("export", input);

    expect(response.statusCode).toBe(400);
    const error = body<{ error: { code: string; details: { issues: { path: string }[] } } }>(response).error;
    expect(error.code).toBe("invalid_input");
    expect(error.details.issues.map((issue) => issue.path)).toContain(path);
    expect((await stack.scanTasks()).length).toBe(tasksBefore);
  });
});

describe("export datasets per tenant", () => {
  it("refuses a dataset the deployment does not allow to the caller's tenant, naming the ones it may export", async () => {
    // EXPORT_DATASET_TENANTS defaults to "orders=dev": another tenant may export nothing.
    expect(stack.config.exportDatasetTenants).toEqual({ orders: [TEST_TENANT] });
    const enqueueAsOther = stack.authorized(createEnqueueHandler(() => stack.deps));
    const otherKey = await stack.createKey("someone-else");
    const tasksBefore = (await stack.scanTasks()).length;

    const response = await enqueueAsOther({
      ...jsonRequest("/tasks", { type: "export", input: { dataset: "orders" } }),
      headers: { "content-type": "application/json", authorization: `Bearer ${otherKey}` },
    });

    expect(response.statusCode).toBe(400);
    const error = body<{ error: { code: string; details: { issues: { path: string; message: string }[] } } }>(response).error;
    expect(error.code).toBe("invalid_input");
    expect(error.details.issues).toEqual([{ path: "dataset", message: "datasets you may export: none" }]);
    expect((await stack.scanTasks()).length).toBe(tasksBefore);
  });
});

describe("GET /tasks/{id}/result", () => {
  it("answers 409 while the task runs, 404 for a task without a file, and 404 for an unknown task", async () => {
    const running = body<{ id: string }>(await tasks.enqueue("echo", { sleepMs: 1500 }));

    const early = await tasks.result(running.id);
    expect(early.statusCode).toBe(409);
    expect(body<{ error: { code: string } }>(early).error.code).toBe("task_not_finished");

    await tasks.waitFor(running.id);
    const noFile = await tasks.result(running.id);
    expect(noFile.statusCode).toBe(404);
    expect(body<{ error: { code: string } }>(noFile).error.code).toBe("no_result_file");

    const unknown = await tasks.result("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    expect(unknown.statusCode).toBe(404);
    expect(body<{ error: { code: string } }>(unknown).error.code).toBe("not_found");
  });
});
