/**
 * Items → CSV or JSON Lines text, straight from DynamoDB's attribute values: numbers are copied as their decimal
 * strings (12345678901234567890.123 stays exactly that), never through a JavaScript number. Pure.
 */
import { stringify } from "csv-stringify/sync";
import type { StoredItem, StoredValue } from "../../ports.ts";

export type ExportFormat = "csv" | "jsonl";

/** JSON text of a value. Sets become arrays; binary becomes base64 strings; numbers stay exact. */
export function toJsonText(value: StoredValue): string {
  if ("S" in value) return JSON.stringify(value.S);
  if ("N" in value) return value.N;
  if ("BOOL" in value) return value.BOOL ? "true" : "false";
  if ("NULL" in value) return "null";
  if ("B" in value) return JSON.stringify(base64(value.B));
  if ("M" in value) return objectText(value.M, Object.keys(value.M));
  if ("L" in value) return `[${value.L.map(toJsonText).join(",")}]`;
  if ("SS" in value) return `[${value.SS.map((s) => JSON.stringify(s)).join(",")}]`;
  if ("NS" in value) return `[${value.NS.join(",")}]`;
  if ("BS" in value) return `[${value.BS.map((b) => JSON.stringify(base64(b))).join(",")}]`;
  throw new Error(`Unsupported DynamoDB value ${JSON.stringify(Object.keys(value))}.`);
}

/** A CSV cell: strings and numbers as stored, booleans as true/false, null and missing empty, the rest JSON text. */
export function toCell(value: StoredValue | undefined): string {
  if (value === undefined || "NULL" in value) return "";
  if ("S" in value) return value.S;
  if ("N" in value) return value.N;
  if ("BOOL" in value) return value.BOOL ? "true" : "false";
  if ("B" in value) return base64(value.B);
  return toJsonText(value);
}

const CSV_OPTIONS = { record_delimiter: "\r\n", eof: true } as const;

/** The header line (RFC 4180: CRLF line ends, quoting only where needed). */
export function csvHeader(columns: readonly string[]): string {
  return stringify([columns as string[]], CSV_OPTIONS);
}

/** Rows of one page, in `columns` order. */
export function encodeRows(items: readonly StoredItem[], columns: readonly string[], format: ExportFormat): string {
  if (items.length === 0) return "";
  if (format === "csv") return stringify(items.map((item) => columns.map((column) => toCell(item[column]))), CSV_OPTIONS);
  let text = "";
  for (const item of items) text += `${objectText(item, columns)}\n`;
  return text;
}

/** `{"a":…,"b":…}` with the keys in the given order; keys the item lacks are left out. */
function objectText(item: StoredItem, keys: readonly string[]): string {
  const fields: string[] = [];
  for (const key of keys) {
    const value = item[key];
    if (value !== undefined) fields.push(`${JSON.stringify(key)}:${toJsonText(value)}`);
  }
  return `{${fields.join(",")}}`;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
