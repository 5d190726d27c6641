/**
 * The hand-written CSV encoder against csv-stringify, which it replaced for speed: same bytes for awkward data.
 * One deliberate difference: with `record_delimiter: "\r\n"`, csv-stringify 6.9 quotes a field only when it holds
 * CRLF (its `quote_record_delimiter` then defaults to false), so a lone LF or CR went out unquoted and split the row
 * for every reader. The encoder quotes any CR or LF (RFC 4180), which is csv-stringify with `quote_record_delimiter`.
 */
import { marshall } from "@aws-sdk/util-dynamodb";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { describe, expect, it } from "vitest";
import type { StoredItem } from "../../lib/ports.ts";
import { ordersDataset } from "../../lib/task-types/export/datasets.ts";
import { csvHeader, encodeRows, toCell } from "../../lib/task-types/export/encode.ts";
import { demoOrder } from "../../scripts/demo-data.ts";

const reference = (rows: string[][]) => stringify(rows, { record_delimiter: "\r\n", eof: true, quote_record_delimiter: true });

describe("CSV encoding", () => {
  it("matches csv-stringify byte for byte on awkward strings", () => {
    const strings = ["", " ", "plain", "a,b", 'say "hi"', '"', '""', "line\nbreak", "cr\rhere", "crlf\r\n", "end\r", "ünï©ødé 📦", ",", "=1+2", "tab\tx", " lead", "trail "];
    const items: StoredItem[] = strings.map((s, i) => ({ a: { S: s }, b: { S: strings[(i + 1) % strings.length]! } }));
    expect(encodeRows(items, ["a", "b", "missing"], "csv")).toBe(reference(items.map((item) => [toCell(item.a), toCell(item.b), ""])));
    expect(csvHeader(strings)).toBe(reference([strings]));
  });

  it("quotes a lone LF or CR, so that the row reads back whole", () => {
    const items: StoredItem[] = [{ a: { S: "line\nbreak" }, b: { S: "cr\rhere" } }, { a: { S: "x" }, b: { S: "y" } }];
    const text = encodeRows(items, ["a", "b"], "csv");
    expect(text).toBe('"line\nbreak","cr\rhere"\r\nx,y\r\n');
    expect(parse(text)).toEqual([["line\nbreak", "cr\rhere"], ["x", "y"]]);
  });

  it("matches csv-stringify on the demo orders, every attribute type included", () => {
    const columns = ordersDataset.attributes;
    const items = Array.from({ length: 500 }, (_, i) =>
      marshall(demoOrder(i, 500, { noteBytes: i % 50 }), { removeUndefinedValues: true, convertClassInstanceToMap: true }),
    ) as unknown as StoredItem[];
    const expected = reference(items.map((item) => columns.map((column) => toCell(item[column]))));
    expect(encodeRows(items, columns, "csv")).toBe(expected);
    expect(expected.length).toBeGreaterThan(100_000);
  });
});
