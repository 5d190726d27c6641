/**
 * Items → CSV or JSON Lines text, straight from DynamoDB's attribute values: numbers are copied as their decimal
 * strings (12345678901234567890.123 stays exactly that), never through a JavaScript number. Pure.
 *
 * CSV is written here rather than through csv-stringify: per row, csv-stringify cost about three times the rest of
 * the encoding (it builds an array per row and runs its option machinery per cell). The output is byte-identical to
 * csv-stringify's with `{record_delimiter: "\r\n", eof: true}` (RFC 4180: a field is quoted iff it holds a comma, a
 * double quote, CR or LF; quotes are doubled; every record ends in CRLF); tests/unit/export-encode.test.ts checks
 * that against csv-stringify itself.
 */
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
  if (value === undefined) return "";
  if ("S" in value) return value.S;
  if ("N" in value) return value.N;
  if ("NULL" in value) return "";
  if ("BOOL" in value) return value.BOOL ? "true" : "false";
  if ("B" in value) return base64(value.B);
  return toJsonText(value);
}

/** Characters that make RFC 4180 quote a field. */
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field: as is, or in double quotes with inner quotes doubled when it holds `,` `"` CR or LF. */
export function csvField(text: string): string {
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

/** The header line (RFC 4180: CRLF line ends, quoting only where needed). */
export function csvHeader(columns: readonly string[]): string {
  return `${columns.map(csvField).join(",")}\r\n`;
}

/** Rows of one page, in `columns` order. */
export function encodeRows(items: readonly StoredItem[], columns: readonly string[], format: ExportFormat): string {
  let text = "";
  if (format === "csv") {
    const last = columns.length - 1;
    for (const item of items) {
      for (let i = 0; i < last; i++) text += `${csvField(toCell(item[columns[i]!]))},`;
      text += `${csvField(toCell(item[columns[last]!]))}\r\n`;
    }
    return text;
  }
  for (const item of items) text += `${objectText(item, columns)}\n`;
  return text;
}

/** `{"a":…,"b":…}` with the keys in the given order; keys the item lacks are left out. */
function objectText(item: StoredItem, keys: readonly string[]): string {
  let text = "";
  for (const key of keys) {
    const value = item[key];
    if (value !== undefined) text += `${text ? "," : ""}${JSON.stringify(key)}:${toJsonText(value)}`;
  }
  return `{${text}}`;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
