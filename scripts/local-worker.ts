/**
 * The background functions, run locally as Lambda would run them: the real worker handler fed by a local SQS event
 * source on the task queue, the dead-letter consumer on the DLQ, and the sweeper on a timer (every
 * LOCAL_SWEEP_INTERVAL_SECONDS, default 60, like its `rate(1 minute)` schedule). Started (and restarted if it dies)
 * by `npm start`; reads the same environment the Lambdas get. `npm start` starts it while it starts the emulator and
 * creates the queues: it waits for them (up to LOCAL_WORKER_QUEUE_WAIT_SECONDS, default 60) and reports
 * `{ready: true}` once it polls them.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from "@aws-sdk/client-sqs";
import { handler as deadLetter } from "../functions/dead-letter.ts";
import { handler as sweeper } from "../functions/sweeper.ts";
import { handler as worker } from "../functions/worker.ts";
import { startBackgroundFunctions } from "../infra/local-background.ts";

const env = process.env;
const region = env.AWS_REGION ?? "us-east-1";
const client = new SQSClient({ region });

async function queue(name: string) {
  const deadline = Date.now() + Number(env.LOCAL_WORKER_QUEUE_WAIT_SECONDS ?? 60) * 1000;
  let QueueUrl: string | undefined;
  while (!QueueUrl) {
    try {
      ({ QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name })));
    } catch (error) {
      // Not created yet, or the emulator not listening yet.
      const early = error instanceof QueueDoesNotExist || (error as { code?: string }).code === "ECONNREFUSED";
      if (!early || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return { queueUrl: QueueUrl, queueArn: Attributes?.QueueArn ?? "" };
}

const onError = (error: unknown) =>
  console.error(JSON.stringify({ level: "ERROR", message: "local event source", error: String(error) }));

const background = startBackgroundFunctions({
  client,
  region,
  taskQueue: await queue(required("TASK_QUEUE_NAME")),
  deadLetterQueue: await queue(required("DEAD_LETTER_QUEUE_NAME")),
  handlers: { worker, deadLetter, sweeper },
  workerTimeoutSeconds: Number(env.WORKER_TIMEOUT_SECONDS ?? 300),
  batchSize: Number(env.LOCAL_WORKER_BATCH_SIZE ?? 10),
  concurrency: Number(env.LOCAL_WORKER_CONCURRENCY ?? 4),
  sweepIntervalMs: Number(env.LOCAL_SWEEP_INTERVAL_SECONDS ?? 60) * 1000,
  namePrefix: "offload-local",
  onError,
});
process.send?.({ ready: true });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await background.stop();
    process.exit(0);
  });
}
// `npm start` is gone without stopping it (kill -9): stop polling rather than live on as an orphan taking messages.
process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}.`);
  return value;
}
