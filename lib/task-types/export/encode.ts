/**
 * Items → CSV or JSON Lines text, straight from DynamoDB's attribute values: numbers are copied as their decimal
 * strings (12345678901234567890.123 stays exactly that), never through a JavaScript number. Pure.
 *
 * CSV is written here rather than through csv-stringify: per row, csv-stringify cost about three times the rest of
 * the encoding (it builds an array per row and runs its option machinery per cell). RFC 4180: a field is quoted iff
 * it holds a comma, a double quote, CR or LF; quotes are doubled; every record ends in CRLF. That is csv-stringify's
 * output with `{record_delimiter: "\r\n", eof: true, quote_record_delimiter: true}`, which
 * tests/unit/export-encode.test.ts checks byte for byte. (The earlier options lacked `quote_record_delimiter` and left
 * a field with a lone LF or CR unquoted, which split its row; fields with CRLF were quoted either way.)
 *
 * With `escapeFormulas`, a text cell that a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`,
 * TAB or CR) gets a leading `'`, as OWASP recommends against CSV injection, before the RFC 4180 quoting. Numbers are
 * left alone: a DynamoDB number holds only digits, a sign, a point and an exponent, so `-12.5` is a number, not a
 * formula, and stays exact.
 */
import type { StoredItem, StoredValue } from "../../ports.ts";

export type ExportFormat = "csv" | "jsonl";

/** How CSV cells are written. */
export interface CsvOptions {
  /** Prefix `'` to text cells starting with `=` `+` `-` `@` TAB or CR (OWASP). Default false: the data as stored. */
  readonly escapeFormulas?: boolean;
}

/** Every member of StoredValue at once: read the one its tag names. */
interface ValueFields {
  readonly S: string;
  readonly N: string;
  readonly B: Uint8Array;
  readonly BOOL: boolean;
  readonly M: StoredItem;
  readonly L: readonly StoredValue[];
  readonly SS: readonly string[];
  readonly NS: readonly string[];
  readonly BS: readonly Uint8Array[];
}

/** The type tag of an attribute value (its one key): one lookup instead of a chain of `in` tests. */
function tagOf(value: StoredValue): string {
  for (const tag in value) return tag;
  return "";
}

/** JSON text of a value. Sets become arrays; binary becomes base64 strings; numbers stay exact. */
export function toJsonText(value: StoredValue): string {
  const v = value as unknown as ValueFields;
  switch (tagOf(value)) {
    case "S":
      return JSON.stringify(v.S);
    case "N":
      return v.N;
    case "BOOL":
      return v.BOOL ? "true" : "false";
    case "NULL":
      return "null";
    case "B":
      return JSON.stringify(base64(v.B));
    case "M":
      return objectText(v.M, Object.keys(v.M));
    case "L":
      return listText(v.L as StoredValue[], toJsonText);
    case "SS":
      return listText(v.SS as string[], (s) => JSON.stringify(s));
    case "NS":
      return `[${(v.NS).join(",")}]`;
    case "BS":
      return listText(v.BS as Uint8Array[], (b) => JSON.stringify(base64(b)));
  }
  throw new Error(`Unsupported DynamoDB value ${JSON.stringify(Object.keys(value))}.`);
}

/** A CSV cell: strings and numbers as stored, booleans as true/false, null and missing empty, the rest JSON text. */
export function toCell(value: StoredValue | undefined): string {
  if (value === undefined) return "";
  const v = value as unknown as ValueFields;
  switch (tagOf(value)) {
    case "S":
      return v.S;
    case "N":
      return v.N;
    case "NULL":
      return "";
    case "BOOL":
      return v.BOOL ? "true" : "false";
    case "B":
      return base64(v.B);
  }
  return toJsonText(value);
}

/**
 * `toCell` as a CSV field: the quoting check runs only on strings and JSON text, since numbers (DynamoDB's decimal
 * strings), booleans and base64 never hold a comma, a quote, CR or LF. With `guard`, text (strings, base64, which
 * may start with `+`, and JSON text) goes through `neutraliseFormula` first.
 */
function csvCell(value: StoredValue | undefined, guard: boolean): string {
  if (value === undefined) return "";
  const v = value as unknown as ValueFields;
  switch (tagOf(value)) {
    case "S":
      return csvField(guard ? neutraliseFormula(v.S) : v.S);
    case "N":
      return v.N;
    case "NULL":
      return "";
    case "BOOL":
      return v.BOOL ? "true" : "false";
    case "B":
      return guard ? neutraliseFormula(base64(v.B)) : base64(v.B);
  }
  const text = toJsonText(value);
  return csvField(guard ? neutraliseFormula(text) : text);
}

/**
 * A text cell that a spreadsheet would take for a formula — one starting with `=`, `+`, `-`, `@`, TAB (0x09) or CR
 * (0x0D) — with a `'` in front, which makes Excel, LibreOffice and Google Sheets read it as text (OWASP's advice
 * against CSV injection). Any other text as it is.
 */
export function neutraliseFormula(text: string): string {
  switch (text.charCodeAt(0)) {
    case 0x3d: // =
    case 0x2b: // +
    case 0x2d: // -
    case 0x40: // @
    case 0x09: // TAB
    case 0x0d: // CR
      return `'${text}`;
  }
  return text;
}

function listText<T>(list: readonly T[], text: (element: T) => string): string {
  let out = "[";
  for (let i = 0; i < list.length; i++) out += i === 0 ? text(list[i]!) : `,${text(list[i]!)}`;
  return `${out}]`;
}

/** Characters that make RFC 4180 quote a field. */
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field: as is, or in double quotes with inner quotes doubled when it holds `,` `"` CR or LF. */
export function csvField(text: string): string {
  if (!NEEDS_QUOTES.test(text)) return text;
  return `"${text.includes('"') ? text.replaceAll('"', '""') : text}"`;
}

/** The header line (RFC 4180: CRLF line ends, quoting only where needed). */
export function csvHeader(columns: readonly string[], options: CsvOptions = {}): string {
  const guard = options.escapeFormulas === true;
  return `${columns.map((column) => csvField(guard ? neutraliseFormula(column) : column)).join(",")}\r\n`;
}

/** Rows of one page, in `columns` order. `options` apply to CSV only. */
export function encodeRows(
  items: readonly StoredItem[],
  columns: readonly string[],
  format: ExportFormat,
  options: CsvOptions = {},
): string {
  let text = "";
  if (format === "csv") {
    const guard = options.escapeFormulas === true;
    const last = columns.length - 1;
    for (const item of items) {
      for (let i = 0; i < last; i++) text += `${csvCell(item[columns[i]!], guard)},`;
      text += `${csvCell(item[columns[last]!], guard)}\r\n`;
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
    if (value !== undefined) text += `${text ? "," : ""}${jsonKey(key)}:${toJsonText(value)}`;
  }
  return `{${text}}`;
}

/** Quoted keys, remembered: items repeat the same few attribute names. Bounded, since keys are client data. */
const quotedKeys = new Map<string, string>();

function jsonKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, quoted);
  }
  return quoted;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
