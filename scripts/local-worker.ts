/**
 * The worker function, run locally: the real `functions/worker.ts` handler fed by the local SQS event source.
 * Started (and restarted if it dies, as Lambda would) by `npm start`; reads the same environment the Lambda gets.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { handler } from "../functions/worker.ts";
import { startEventSource } from "../infra/local-event-source.ts";

const env = process.env;
const region = env.AWS_REGION ?? "us-east-1";
const client = new SQSClient({ region });
const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: required("TASK_QUEUE_NAME") }));
const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));

const source = startEventSource({
  client,
  queueUrl: QueueUrl!,
  queueArn: Attributes?.QueueArn ?? "",
  region,
  handler,
  functionName: "offload-local-worker",
  timeoutSeconds: Number(env.WORKER_TIMEOUT_SECONDS ?? 300),
  batchSize: Number(env.LOCAL_WORKER_BATCH_SIZE ?? 10),
  concurrency: Number(env.LOCAL_WORKER_CONCURRENCY ?? 4),
  onError: (error) => console.error(JSON.stringify({ level: "ERROR", message: "local event source", error: String(error) })),
});
process.send?.({ ready: true });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await source.stop();
    process.exit(0);
  });
}

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}.`);
  return value;
}
