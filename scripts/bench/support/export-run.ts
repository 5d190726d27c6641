/**
 * One export or one raw scan against a provisioned stack, shared by the export benchmark's two processes: the
 * parent's throughput rounds and the child that measures an exporter's memory on its own.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { createAwsClients, type AwsClients } from "../../../lib/adapters/aws-clients.ts";
import { type Config, readConfig } from "../../../lib/config.ts";
import { buildDependencies } from "../../../lib/container.ts";
import { silentLogger } from "../../../lib/logger.ts";
import { exportTaskType } from "../../../lib/task-types/export/export.ts";

export interface RunFigures {
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
}

export interface BenchTarget {
  readonly endpoint: string;
  /** The provisioned functions' environment (table, bucket and queue names). */
  readonly environment: Record<string, string>;
}

const REGION = "us-east-1";
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export function connect(target: BenchTarget) {
  const config: Config = readConfig(target.environment);
  const clients: AwsClients = createAwsClients({ endpoint: target.endpoint, region: REGION, credentials: CREDENTIALS, forcePathStyle: true });
  const deps = buildDependencies(config, clients, { logger: silentLogger });
  return {
    config,
    clients,
    deps,
    close: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

type Connection = ReturnType<typeof connect>;

/** The baseline: Scan every page of the orders table (Limit 1000, as the export) and JSON.stringify its items. */
export async function rawScan({ clients, config }: Connection): Promise<RunFigures> {
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(
      new ScanCommand({ TableName: config.ordersTable, Limit: 1000, ExclusiveStartKey: startKey as never }),
    );
    for (const item of page.Items ?? []) bytes += JSON.stringify(item).length;
    rows += page.Items?.length ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { rows, bytes, seconds: (performance.now() - started) / 1000 };
}

/** The real `export` handler (CSV of the default columns, multipart upload to S3), outside SQS; the file is deleted. */
export async function exportOnce({ deps }: Connection, taskId: string): Promise<RunFigures> {
  const started = performance.now();
  const result = await exportTaskType.handler(exportTaskType.input.parse({ dataset: "orders" }), {
    taskId,
    // The tenant the stack's EXPORT_DATASET_TENANTS lets export `orders` (the worker checks that before an attempt).
    tenant: "dev",
    attempt: 1,
    signal: new AbortController().signal,
    deadline: Date.now() + 3600_000,
    reportProgress: async () => {},
    checkpoint: undefined,
    saveCheckpoint: async () => {},
    services: deps.services,
  });
  const seconds = (performance.now() - started) / 1000;
  // The emulator keeps objects in memory: drop each file so that big runs do not pile up there.
  await deps.services.blobs.deleteMany([result.key]);
  return { rows: result.rows, bytes: result.bytes, seconds };
}
