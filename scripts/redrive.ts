/**
 * `npm run redrive -- --id <taskId>` or `npm run redrive -- --all [--type <type>]`: puts failed tasks back in the
 * queue with a fresh attempt budget, through the HTTP API (`--api <url>` or OFFLOAD_API_URL, default the local one),
 * so it works the same against `npm start` and a deployed stack. The API key: `--api-key`, OFFLOAD_API_KEY, or the one
 * `npm start` saved (for its own API only), as for `offload`.
 */
import { parseArgs } from "node:util";
import { OffloadClient } from "../lib/client/index.ts";
import { resolveApiKey } from "./cli/credentials.ts";

const { values } = parseArgs({
  options: {
    id: { type: "string" },
    all: { type: "boolean", default: false },
    type: { type: "string" },
    api: { type: "string", default: process.env.OFFLOAD_API_URL ?? "http://127.0.0.1:3000" },
    "api-key": { type: "string" },
  },
});

if (!values.id && !values.all) {
  console.error("usage: npm run redrive -- --id <taskId> | --all [--type <type>] [--api <url>] [--api-key <key>]");
  process.exit(2);
}
const credential = await resolveApiKey({ apiUrl: values.api, flag: values["api-key"] });
const client = new OffloadClient({ baseUrl: values.api, apiKey: credential?.key });
try {
  if (values.id) {
    const task = await client.redrive(values.id);
    console.log(`${task.id} ${task.status} (attempts now ${task.attempt} of ${task.maxAttempts})`);
  } else {
    const { redriven, ids } = await client.redriveAll(values.type ? { type: values.type } : {});
    console.log(`redriven ${redriven} task(s)${ids.length ? `: ${ids.join(" ")}` : ""}`);
  }
} catch (error) {
  console.error(`redrive: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
