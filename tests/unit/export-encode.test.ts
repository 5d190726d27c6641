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
import { csvHeader, encodeRows, neutraliseFormula, toCell } from "../../lib/task-types/export/encode.ts";
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

describe("CSV formula guard (escapeFormulas)", () => {
  const hostile = ["=1+2", "+1", "-1", "@SUM(A1:A9)", "\tx", "\rx", "=a,b", '=HYPERLINK("http://evil.example","x")', "\r\n=x", "-"];
  const harmless = ["", "x=1", " =1", "'=1", "plain", "1-2", "ünï=©"];

  it("prefixes ' to text cells starting with = + - @ TAB or CR, and only to those", () => {
    for (const text of hostile) expect(neutraliseFormula(text), JSON.stringify(text)).toBe(`'${text}`);
    for (const text of harmless) expect(neutraliseFormula(text), JSON.stringify(text)).toBe(text);
  });

  it("keeps RFC 4180 quoting right around the prefix, and reads back as ' + the original", () => {
    const items: StoredItem[] = [...hostile, ...harmless].map((s) => ({ a: { S: s }, b: { S: "ok" } }));
    const text = encodeRows(items, ["a", "b"], "csv", { escapeFormulas: true });

    expect(text).toBe(reference(items.map((item) => [neutraliseFormula(toCell(item.a)), "ok"])));
    expect(text).toContain('"\'=a,b",ok\r\n');
    expect(text).toContain('"\'=HYPERLINK(""http://evil.example"",""x"")",ok\r\n');
    expect(text).toContain('"\'\rx",ok\r\n');
    expect(text).toContain("'\tx,ok\r\n");
    const cells = (parse(text) as string[][]).map((row) => row[0]);
    expect(cells).toEqual([...hostile.map((s) => `'${s}`), ...harmless]);
  });

  it("leaves numbers, booleans and JSON text alone, and guards base64 that starts with +", () => {
    const item: StoredItem = {
      negative: { N: "-12.5" },
      flag: { BOOL: true },
      map: { M: { f: { S: "=1" } } },
      list: { L: [{ S: "-x" }] },
      binary: { B: new Uint8Array([0xf8, 0, 0]) },
    };
    const columns = ["negative", "flag", "map", "list", "binary"];

    expect(encodeRows([item], columns, "csv", { escapeFormulas: true })).toBe('-12.5,true,"{""f"":""=1""}","[""-x""]",\'+AAA\r\n');
    expect(encodeRows([item], columns, "csv")).toBe('-12.5,true,"{""f"":""=1""}","[""-x""]",+AAA\r\n');
  });

  it("guards header cells too", () => {
    expect(csvHeader(["=evil", "ok"], { escapeFormulas: true })).toBe("'=evil,ok\r\n");
    expect(csvHeader(["=evil", "ok"])).toBe("=evil,ok\r\n");
  });

  it("with escapeFormulas false (the default of the encoder), writes the data byte for byte", () => {
    const items: StoredItem[] = hostile.map((s) => ({ a: { S: s } }));
    const exact = reference(items.map((item) => [toCell(item.a)]));

    expect(encodeRows(items, ["a"], "csv", { escapeFormulas: false })).toBe(exact);
    expect(encodeRows(items, ["a"], "csv")).toBe(exact);
    expect((parse(exact) as string[][]).map((row) => row[0])).toEqual(hostile);
  });

  it("does not touch JSON Lines", () => {
    const items: StoredItem[] = [{ a: { S: "=1+2" } }];
    expect(encodeRows(items, ["a"], "jsonl", { escapeFormulas: true })).toBe('{"a":"=1+2"}\n');
  });
});
