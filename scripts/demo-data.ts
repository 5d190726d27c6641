/**
 * The demo `orders` data: deterministic, deliberately awkward items (commas, quotes, newlines and non-ASCII in
 * strings; missing attributes; nested maps and lists; big and fractional numbers as exact NumberValues; booleans;
 * string and number sets; binary), and a BatchWriteItem loader with a few requests in flight.
 * Used by `npm run seed:demo`, the export tests and the export benchmark.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, NumberValue } from "@aws-sdk/lib-dynamodb";

const NAMES = ["Zoë Ångström", "O'Brien, Pat", 'Dwayne "The Rock"', "李小龍", "José Núñez", "Ægir Þórsson", "Plain Smith"];
const NOTES = [
  "Leave at the door, please",
  'Customer said: "ring twice"',
  "Line one\nLine two\r\nLine three",
  "Comma, separated, text",
  "Emoji 📦🚚 and accents: crème brûlée",
  "  leading and trailing spaces  ",
  "=SUM(A1:A2) looks like a formula",
  "",
];
const STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled"];
const TAGS = ["gift", "rush", "fragile", "b2b", "überweisung", "needs,review"];
const BIG_NUMBERS = ["12345678901234567890.123", "99999999999999999999999999999999999999", "0.000000000000000000001", "-1234567890123456789"];

export interface DemoOptions {
  /** Customers the orders are spread over (the partition key). Default: one per 20 orders. */
  readonly customers?: number;
  /** Pad `note` to about this many bytes (for tests that need multi-megabyte exports from few rows). */
  readonly noteBytes?: number;
}

/** Order number `i` (0-based) of `rows`: the same input always gives the same item. */
export function demoOrder(i: number, rows: number, options: DemoOptions = {}): Record<string, unknown> {
  const random = mulberry32(i + 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const customers = options.customers ?? Math.max(1, Math.ceil(rows / 20));
  const item: Record<string, unknown> = {
    customerId: `cust-${String(i % customers).padStart(5, "0")}`,
    orderId: `ord-${String(i).padStart(8, "0")}`,
    createdAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString(),
    status: pick(STATUSES),
    customerName: pick(NAMES),
    total: NumberValue.from(i % 7 === 0 ? pick(BIG_NUMBERS) : `${Math.floor(random() * 100000)}.${String(Math.floor(random() * 100)).padStart(2, "0")}`),
    quantity: NumberValue.from(String(1 + Math.floor(random() * 9))),
    gift: random() < 0.3,
    address: {
      street: `${1 + Math.floor(random() * 200)} "Main" St, Apt ${Math.floor(random() * 20)}`,
      city: pick(["Zürich", "São Paulo", "東京", "New York, NY"]),
      geo: { lat: NumberValue.from((random() * 180 - 90).toFixed(6)), lon: NumberValue.from((random() * 360 - 180).toFixed(6)) },
    },
    lines: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, n) => ({
      sku: `SKU-${n}-${Math.floor(random() * 1000)}`,
      qty: NumberValue.from(String(1 + n)),
      price: NumberValue.from((random() * 100).toFixed(2)),
      options: n === 0 ? ["red", "XL"] : [],
    })),
  };
  // Missing attributes on purpose: not every order has a note, a discount, tags, scores or a cancellation.
  if (random() < 0.8) item.note = pick(NOTES) + (options.noteBytes ? ` ${"x".repeat(options.noteBytes)}` : "");
  if (random() < 0.5) item.discount = NumberValue.from(random() < 0.5 ? "0.1" : "0.333333333333333333333");
  if (random() < 0.6) item.tags = new Set([pick(TAGS), pick(TAGS)]);
  if (random() < 0.4) item.priorityScores = new Set([NumberValue.from("1.5"), NumberValue.from(String(i)), NumberValue.from("98765432109876543210")]);
  if (random() < 0.3) item.couponCodes = null;
  if (item.status === "cancelled") item.cancelledAt = item.createdAt;
  if (random() < 0.1) item.attachment = new Uint8Array([0, 1, 2, 250, 251, 252]);
  return item;
}

/** Writes `rows` demo orders with BatchWriteItem (25 per request, `concurrency` requests in flight). */
export async function seedOrders(
  client: DynamoDBDocumentClient,
  tableName: string,
  rows: number,
  options: DemoOptions & { concurrency?: number; onProgress?: (written: number) => void } = {},
): Promise<void> {
  let nextIndex = 0;
  let written = 0;
  const worker = async () => {
    while (nextIndex < rows) {
      const start = nextIndex;
      const end = Math.min(rows, start + 25);
      nextIndex = end;
      let requests = Array.from({ length: end - start }, (_, k) => ({
        PutRequest: { Item: demoOrder(start + k, rows, options) },
      }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
      written += end - start;
      options.onProgress?.(written);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
