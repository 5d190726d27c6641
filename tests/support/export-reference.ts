/**
 * An independent reference for export output: reads the source items through the document client with
 * `wrapNumbers` (so numbers are NumberValues, never doubles) and renders the expected cell or JSON text from those,
 * not from the DynamoDB attribute values the export itself reads.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, NumberValue, paginateScan } from "@aws-sdk/lib-dynamodb";
import { REGION, TEST_CREDENTIALS } from "./stack.ts";

export async function readSourceItems(endpoint: string, tableName: string): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: REGION, credentials: TEST_CREDENTIALS }),
    { unmarshallOptions: { wrapNumbers: true } },
  );
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: tableName, ConsistentRead: true })) {
    items.push(...(page.Items ?? []));
  }
  client.destroy();
  return items;
}

/**
 * The CSV cell expected for a value. `escapeFormulas` (the export's default): text starting with = + - @ TAB or CR
 * gets a leading ' (OWASP), written here independently of the encoder's own rule; numbers never do.
 */
export function expectedCell(value: unknown, options: { escapeFormulas?: boolean } = {}): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "boolean") return String(value);
  if (value instanceof NumberValue) return value.value;
  const text =
    typeof value === "string" ? value : value instanceof Uint8Array ? Buffer.from(value).toString("base64") : expectedJson(value);
  return options.escapeFormulas && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function expectedJson(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (value instanceof NumberValue) return value.value;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString("base64"));
  if (value instanceof Set || Array.isArray(value)) return `[${[...value].map(expectedJson).join(",")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${expectedJson(v)}`);
    return `{${entries.join(",")}}`;
  }
  throw new Error(`Unexpected value ${String(value)}`);
}

/** The JSON Lines line expected for an item and columns (missing attributes left out). */
export function expectedJsonLine(item: Record<string, unknown>, columns: readonly string[]): string {
  return expectedJson(Object.fromEntries(columns.filter((c) => item[c] !== undefined).map((c) => [c, item[c]])));
}

export function rowKey(customerId: string, orderId: string): string {
  return `${customerId}/${orderId}`;
}
