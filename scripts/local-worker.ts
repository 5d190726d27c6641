/**
 * The background functions, run locally as Lambda would run them: the real worker handler fed by a local SQS event
 * source on the task queue, the dead-letter consumer on the DLQ, and the sweeper on a timer (every
 * LOCAL_SWEEP_INTERVAL_SECONDS, default 60, like its `rate(1 minute)` schedule). Started (and restarted if it dies)
 * by `npm start`; reads the same environment the Lambdas get.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Handler } from "aws-lambda";
import { handler as deadLetter } from "../functions/dead-letter.ts";
import { handler as sweeper } from "../functions/sweeper.ts";
import { handler as worker } from "../functions/worker.ts";
import { type SqsHandler, startEventSource } from "../infra/local-event-source.ts";

const env = process.env;
const region = env.AWS_REGION ?? "us-east-1";
const client = new SQSClient({ region });

async function queue(name: string) {
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  if (!QueueUrl) throw new Error(`Queue ${name} does not exist.`);
  return { queueUrl: QueueUrl, queueArn: Attributes?.QueueArn ?? "" };
}

const onError = (error: unknown) =>
  console.error(JSON.stringify({ level: "ERROR", message: "local event source", error: String(error) }));

const sources = [
  startEventSource({
    client,
    ...(await queue(required("TASK_QUEUE_NAME"))),
    region,
    handler: worker as Handler as SqsHandler,
    functionName: "offload-local-worker",
    timeoutSeconds: Number(env.WORKER_TIMEOUT_SECONDS ?? 300),
    batchSize: Number(env.LOCAL_WORKER_BATCH_SIZE ?? 10),
    concurrency: Number(env.LOCAL_WORKER_CONCURRENCY ?? 4),
    onError,
  }),
  startEventSource({
    client,
    ...(await queue(required("DEAD_LETTER_QUEUE_NAME"))),
    region,
    handler: deadLetter as Handler as SqsHandler,
    functionName: "offload-local-dead-letter",
    timeoutSeconds: 30,
    onError,
  }),
];

const sweepEvery = Number(env.LOCAL_SWEEP_INTERVAL_SECONDS ?? 60) * 1000;
const sweepTimer = setInterval(() => {
  sweeper({}).catch(onError);
}, sweepEvery);
process.send?.({ ready: true });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    clearInterval(sweepTimer);
    await Promise.all(sources.map((source) => source.stop()));
    process.exit(0);
  });
}

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}.`);
  return value;
}
