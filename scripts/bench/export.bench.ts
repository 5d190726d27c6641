/**
 * Export throughput and memory. Seeds the demo `orders` table (EXPORT_BENCH_ROWS, default 50 000) in an emulator
 * running in a child process, then measures in this process:
 *   - raw baseline: Scan every page and JSON.stringify the rows to nowhere;
 *   - export: the real `export` handler (CSV, multipart upload to the emulator's S3), outside SQS.
 * Prints rows/s and MB/s for both, the ratio, and this process's peak RSS during the export.
 */
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { createAwsClients } from "../../lib/adapters/aws-clients.ts";
import { readConfig } from "../../lib/config.ts";
import { buildDependencies } from "../../lib/container.ts";
import { silentLogger } from "../../lib/logger.ts";
import { exportTaskType } from "../../lib/task-types/export/export.ts";
import { provisionStack } from "../../infra/provision.ts";
import { loadServerlessConfig, type ServerlessConfig } from "../../infra/serverless-config.ts";
import type { BenchCase } from "../bench.ts";
import { seedOrders } from "../demo-data.ts";

const REGION = "us-east-1";
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

async function startEmulatorProcess() {
  const child = fork(new URL("./emulator-child.ts", import.meta.url), [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { endpoint: string }).endpoint));
    child.once("exit", (code) => reject(new Error(`emulator exited (${code})`)));
  });
  return { endpoint, stop: () => child.disconnect() };
}

const bench: BenchCase = {
  name: "export",
  async run() {
    const rows = Number(process.env.EXPORT_BENCH_ROWS ?? 50_000);
    const emulator = await startEmulatorProcess();
    try {
      const suffix = randomBytes(4).toString("hex");
      const template = JSON.parse(
        JSON.stringify(await loadServerlessConfig("test")).replaceAll("offload-test-", `offload-bench${suffix}-`),
      ) as ServerlessConfig;
      const provisioned = await provisionStack(template, { endpoint: emulator.endpoint, region: REGION });
      const config = readConfig(provisioned.environment);
      const clients = createAwsClients({ endpoint: emulator.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
      const deps = buildDependencies(config, clients, { logger: silentLogger });

      const seedStart = Date.now();
      await seedOrders(clients.dynamo, config.ordersTable, rows);
      console.log(`seeded ${rows} rows in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

      const raw = async () => {
        const started = performance.now();
        let count = 0;
        let bytes = 0;
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await clients.dynamo.send(
            new ScanCommand({ TableName: config.ordersTable, Limit: 1000, ExclusiveStartKey: startKey as never }),
          );
          for (const item of page.Items ?? []) bytes += JSON.stringify(item).length;
          count += page.Items?.length ?? 0;
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return { rows: count, bytes, seconds: (performance.now() - started) / 1000 };
      };

      let peakRss = 0;
      const exportOnce = async (n: number) => {
        const sampler = setInterval(() => {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
        }, 25);
        const started = performance.now();
        const input = exportTaskType.input.parse({ dataset: "orders" });
        const result = await exportTaskType.handler(input, {
          taskId: `01BENCH${String(n).padStart(19, "0")}`,
          attempt: 1,
          signal: new AbortController().signal,
          deadline: Date.now() + 3600_000,
          reportProgress: async () => {},
          checkpoint: undefined,
          saveCheckpoint: async () => {},
          services: deps.services,
        });
        clearInterval(sampler);
        return { rows: result.rows, bytes: result.bytes, seconds: (performance.now() - started) / 1000 };
      };

      const rssBefore = process.memoryUsage().rss;
      const runs = { raw: [] as Awaited<ReturnType<typeof raw>>[], export: [] as Awaited<ReturnType<typeof raw>>[] };
      for (let round = 0; round < 2; round++) {
        runs.raw.push(await raw());
        runs.export.push(await exportOnce(round));
      }
      const best = (list: { rows: number; bytes: number; seconds: number }[]) =>
        list.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
      const r = best(runs.raw);
      const e = best(runs.export);
      const fmt = (x: { rows: number; bytes: number; seconds: number }) =>
        `${Math.round(x.rows / x.seconds)} rows/s, ${(x.bytes / x.seconds / 1e6).toFixed(1)} MB/s (${x.rows} rows, ${(x.bytes / 1e6).toFixed(1)} MB, ${x.seconds.toFixed(2)} s)`;
      console.log(`raw scan + JSON.stringify: ${fmt(r)}`);
      console.log(`export to CSV (multipart): ${fmt(e)}`);
      console.log(`ratio export/raw rows/s: ${(e.rows / e.seconds / (r.rows / r.seconds)).toFixed(2)}x (target >= 0.8x)`);
      console.log(
        `peak RSS during export: ${(peakRss / 2 ** 20).toFixed(0)} MB (before: ${(rssBefore / 2 ** 20).toFixed(0)} MB; target < 256 MB; emulator in a separate process)`,
      );
      for (const client of Object.values(clients)) client.destroy();
    } finally {
      emulator.stop();
    }
  },
};

export default bench;
