/**
 * `npm run seed:demo -- --rows N [--table NAME]`: fills the demo `orders` export dataset with awkward, realistic data.
 * Talks to AWS_ENDPOINT_URL (default http://127.0.0.1:4566, the emulator of a running `npm start`); the table defaults
 * to ORDERS_TABLE or the local stage's `offload-local-orders`.
 */
import { parseArgs } from "node:util";
import { createAwsClients } from "../lib/adapters/aws-clients.ts";
import { seedOrders } from "./demo-data.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000" },
    table: { type: "string", default: process.env.ORDERS_TABLE ?? "offload-local-orders" },
    "note-bytes": { type: "string", default: "0" },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 0) throw new Error(`--rows must be a whole number, got ${values.rows}.`);

const endpoint = process.env.AWS_ENDPOINT_URL ?? "http://127.0.0.1:4566";
const local = !process.env.AWS_ENDPOINT_URL || /127\.0\.0\.1|localhost/.test(endpoint);
const { dynamo } = createAwsClients({
  endpoint,
  region: process.env.AWS_REGION ?? "us-east-1",
  ...(local && !process.env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: "test", secretAccessKey: "test" } } : {}),
});
const started = Date.now();
let shown = 0;
await seedOrders(dynamo, values.table, rows, {
  noteBytes: Number(values["note-bytes"]),
  onProgress: (written) => {
    if (written - shown >= 10_000 || written === rows) {
      shown = written;
      process.stdout.write(`\r${written}/${rows} orders written`);
    }
  },
});
const seconds = (Date.now() - started) / 1000;
console.log(`\nSeeded ${rows} orders into ${values.table} at ${endpoint} in ${seconds.toFixed(1)} s (${Math.round(rows / Math.max(seconds, 0.001))}/s).`);
