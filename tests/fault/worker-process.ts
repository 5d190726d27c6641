/**
 * The fault suite's worker: a real separate process (the test SIGKILLs it mid-task and starts a new one, as Lambda
 * starts a new instance). It runs what the deployed background functions run — the worker handler behind the local
 * SQS event source, the dead-letter consumer, and the sweeper on a one-second timer — with the `fault` and
 * `fault-batch` task types and a DynamoDB client that throws ProvisionedThroughputExceededException for a share of
 * its UpdateItem calls.
 *
 * Environment: the stack's function environment (TestStack.environment: WATCH_TOKEN_SECRET included, since the
 * emulator has no Secrets Manager), AWS_ENDPOINT_URL, FAULT_QUEUE_URL/ARN, FAULT_DLQ_URL/ARN, FAULT_THROTTLE_RATE
 * (0..1). Talks to the test over IPC: `ready`, slow-task starts/ends, injected throttles.
 */
import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import type { Handler } from "aws-lambda";
import { createAwsClients } from "../../lib/adapters/aws-clients.ts";
import { readConfig } from "../../lib/config.ts";
import { buildDependencies } from "../../lib/container.ts";
import { createDeadLetterHandler, createSweeperHandler } from "../../lib/handlers/background.ts";
import { createWorkerHandler } from "../../lib/handlers/worker.ts";
import { silentLogger } from "../../lib/logger.ts";
import { startBackgroundFunctions } from "../../infra/local-background.ts";
import { registryWith } from "../support/task-types.ts";
import { type FaultEvent, faultBatchTaskType, faultTaskType } from "./fault-task-type.ts";

export type WorkerReport =
  | { kind: "ready" }
  | { kind: "throttled"; command: string }
  | { kind: "log"; level: "warn" | "error"; message: string; taskId?: string; error?: string; at: number }
  | FaultEvent;

const env = process.env;
const region = env.AWS_REGION ?? "us-east-1";
const report = (message: WorkerReport) => process.send?.(message);

const clients = createAwsClients({
  endpoint: required("AWS_ENDPOINT_URL"),
  region,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  forcePathStyle: true,
});
const throttleRate = Number(env.FAULT_THROTTLE_RATE ?? 0);
// At the initialize step, before the SDK's own retries: the error reaches Offload's code as if those were exhausted.
clients.dynamo.middlewareStack.add(
  (next, context) => async (args) => {
    if (/UpdateItem/.test(context.commandName ?? "") && Math.random() < throttleRate) {
      report({ kind: "throttled", command: context.commandName ?? "" });
      throw new ProvisionedThroughputExceededException({
        message: "Injected by the fault suite: throughput exceeded.",
        $metadata: { httpStatusCode: 400 },
      });
    }
    return next(args);
  },
  { step: "initialize", name: "faultInjectedThrottling" },
);

/** Warnings and errors go to the test, which tallies them for the summary. */
const logTo =
  (level: "warn" | "error") =>
  (message: string, ...extra: unknown[]) => {
    const fields = (extra[0] ?? {}) as { taskId?: string; error?: unknown };
    report({
      kind: "log",
      level,
      message,
      at: Date.now(),
      ...(fields.taskId ? { taskId: String(fields.taskId) } : {}),
      ...(fields.error ? { error: String(fields.error) } : {}),
    });
  };
// Fail fast on an environment without the literal watch-token key: nothing here could fetch it from the emulator.
required("WATCH_TOKEN_SECRET");
const deps = buildDependencies(readConfig(env), clients, {
  taskTypes: registryWith(faultTaskType(report), faultBatchTaskType(report)),
  logger: { ...silentLogger, warn: logTo("warn"), error: logTo("error") },
});
const onError = () => {}; // outages and kills are the point here; the test checks outcomes, not logs

const background = startBackgroundFunctions({
  client: clients.sqs,
  region,
  taskQueue: { queueUrl: required("FAULT_QUEUE_URL"), queueArn: required("FAULT_QUEUE_ARN") },
  deadLetterQueue: { queueUrl: required("FAULT_DLQ_URL"), queueArn: required("FAULT_DLQ_ARN") },
  handlers: {
    worker: createWorkerHandler(() => deps) as Handler,
    deadLetter: createDeadLetterHandler(() => deps) as Handler,
    sweeper: createSweeperHandler(() => deps),
  },
  workerTimeoutSeconds: Number(env.WORKER_TIMEOUT_SECONDS ?? 30),
  batchSize: 5,
  concurrency: 8,
  sweepIntervalMs: 1_000,
  waitTimeSeconds: 1,
  namePrefix: "offload-fault",
  onError,
});
report({ kind: "ready" });

process.once("SIGTERM", async () => {
  await background.stop();
  process.exit(0);
});

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}.`);
  return value;
}
