/**
 * Export throughput and memory, with the emulator in a child process.
 *
 * Throughput: the orders table holds EXPORT_BENCH_THROUGHPUT_ROWS demo orders (default 50 000); after one warm-up
 * round, EXPORT_BENCH_ROUNDS rounds (default 5) each run the raw baseline (Scan every page + JSON.stringify the
 * items to nowhere) and the real `export` handler (CSV, multipart upload to the emulator's S3) in this process,
 * alternating, on the same table and rows. Prints the median rows/s of each and their ratio.
 *
 * Memory: the table then grows in steps (50 000, 200 000, … up to `--rows N` or EXPORT_BENCH_ROWS, default 200 000)
 * and at each size one export runs in a fresh process of its own, which reports its peak RSS: the exporter's memory
 * only (neither the emulator's nor the seeding's).
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { provisionStack } from "../../infra/provision.ts";
import { loadServerlessConfig, type ServerlessConfig } from "../../infra/serverless-config.ts";
import type { BenchCase } from "../bench.ts";
import { type BenchTarget, connect, exportOnce, type RunFigures, rawScan } from "./support/export-run.ts";
import { seedRange } from "./support/seed-range.ts";

const MB = 2 ** 20;

function startChild(file: string): ChildProcess {
  return fork(new URL(file, import.meta.url), [], { execArgv: ["--import", "tsx"], stdio: "inherit" });
}

async function startEmulatorProcess() {
  const child = startChild("./emulator-child.ts");
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { endpoint: string }).endpoint));
    child.once("exit", (code) => reject(new Error(`emulator exited (${code})`)));
  });
  return { endpoint, stop: () => child.disconnect() };
}

interface ChildFigures extends RunFigures {
  readonly rssBefore: number;
  readonly peakRss: number;
  readonly maxRss: number;
}

/** One export in a fresh process; its figures. */
function exportInChild(target: BenchTarget, taskId: string): Promise<ChildFigures> {
  const child = startChild("./support/export-child.ts");
  return new Promise((resolve, reject) => {
    child.once("message", (message) => resolve(message as ChildFigures));
    child.once("exit", (code) => reject(new Error(`exporter exited (${code}) without figures`)));
    child.send({ ...target, taskId });
  });
}

function option(name: string, envName: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const text = at >= 0 ? process.argv[at + 1] : process.env[envName];
  const value = Number(text ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} / ${envName} must be a positive integer.`);
  return value;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rate = (run: RunFigures) => run.rows / run.seconds;
const taskId = (n: number) => `01BENCH${String(n).padStart(19, "0")}`;

const bench: BenchCase = {
  name: "export",
  async run() {
    const throughputRows = option("throughput-rows", "EXPORT_BENCH_THROUGHPUT_ROWS", 50_000);
    const rounds = option("rounds", "EXPORT_BENCH_ROUNDS", 5);
    const maxRows = Math.max(throughputRows, option("rows", "EXPORT_BENCH_ROWS", 200_000));
    const emulator = await startEmulatorProcess();
    try {
      const suffix = randomBytes(4).toString("hex");
      const template = JSON.parse(
        JSON.stringify(await loadServerlessConfig("test")).replaceAll("offload-test-", `offload-bench${suffix}-`),
      ) as ServerlessConfig;
      const provisioned = await provisionStack(template, { endpoint: emulator.endpoint, region: "us-east-1" });
      // As `npm start` and the tests: the emulator has no Secrets Manager, so the watch-token key goes in as a literal.
      const environment = {
        ...provisioned.environment,
        WATCH_TOKEN_SECRET: provisioned.secrets[provisioned.environment.WATCH_TOKEN_SECRET_NAME!]!,
      };
      const target: BenchTarget = { endpoint: emulator.endpoint, environment };
      const connection = connect(target);
      let seeded = 0;
      const growTo = async (rows: number) => {
        const started = performance.now();
        await seedRange(connection.clients.dynamo, connection.config.ordersTable, seeded, rows);
        console.log(`seeded ${seeded} → ${rows} rows in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        seeded = rows;
      };

      // Throughput: warm-up, then alternating rounds on the same table.
      await growTo(throughputRows);
      let n = 0;
      await rawScan(connection);
      await exportOnce(connection, taskId(n++));
      const raw: RunFigures[] = [];
      const exported: RunFigures[] = [];
      for (let round = 0; round < rounds; round++) {
        raw.push(await rawScan(connection));
        exported.push(await exportOnce(connection, taskId(n++)));
      }
      const fmt = (runs: RunFigures[]) => {
        const r = median(runs.map(rate));
        const mbs = median(runs.map((run) => run.bytes / run.seconds / 1e6));
        return `${Math.round(r)} rows/s, ${mbs.toFixed(1)} MB/s (median of ${runs.length}; ${runs[0]!.rows} rows, ${(runs[0]!.bytes / 1e6).toFixed(1)} MB; rounds ${runs.map((run) => run.seconds.toFixed(2)).join(" ")} s)`;
      };
      console.log(`raw scan + JSON.stringify: ${fmt(raw)}`);
      console.log(`export to CSV (multipart): ${fmt(exported)}`);
      const ratios = exported.map((run, i) => rate(run) / rate(raw[i]!));
      console.log(
        `ratio export/raw rows/s: ${(median(exported.map(rate)) / median(raw.map(rate))).toFixed(2)}x of medians; per round ${ratios.map((r) => r.toFixed(2)).join(" ")} (target >= 0.8x)`,
      );

      // Memory: one export per size, each in a fresh process.
      const sizes = [...new Set([50_000, 200_000, maxRows].filter((rows) => rows <= maxRows))].sort((a, b) => a - b);
      for (const rows of sizes) {
        if (rows > seeded) await growTo(rows);
        const figures = await exportInChild(target, taskId(n++));
        console.log(
          `exporter process, ${figures.rows} rows (${(figures.bytes / 1e6).toFixed(0)} MB CSV, ${Math.round(rate(figures))} rows/s): ` +
            `peak RSS ${(figures.peakRss / MB).toFixed(0)} MB (${(figures.rssBefore / MB).toFixed(0)} MB before the export; ` +
            `maxRSS ${(figures.maxRss / MB).toFixed(0)} MB; target < 256 MB)`,
        );
      }
      connection.close();
    } finally {
      emulator.stop();
    }
  },
};

export default bench;
