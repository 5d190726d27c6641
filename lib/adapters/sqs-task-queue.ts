/** TaskQueue on SQS. Queue URLs are looked up by name once per process (one GetQueueUrl per cold start). */
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { TaskErrorInfo } from "../domain/errors.ts";
import type { TaskMessage, TaskQueue } from "../ports.ts";

/** How long a queue-depth reading is reused. */
const DEPTH_CACHE_MS = 2_000;

/** SQS's ceiling for `DelaySeconds`. */
export const SQS_MAX_DELAY_SECONDS = 15 * 60;

export class SqsTaskQueue implements TaskQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: () => Promise<string>;
  readonly #deadLetterUrl: () => Promise<string>;

  constructor(options: { client: SQSClient; queueName: string; deadLetterQueueName: string }) {
    this.#client = options.client;
    this.#queueUrl = memoizedQueueUrl(options.client, options.queueName);
    this.#deadLetterUrl = memoizedQueueUrl(options.client, options.deadLetterQueueName);
  }

  async send(message: TaskMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: await this.#queueUrl(),
        MessageBody: encodeTaskMessage(message),
        MessageAttributes: { type: { DataType: "String", StringValue: message.type } },
        // A fair queue (SQS, 2025): one tenant's backlog does not hold up the others' messages. Consumers see no change.
        MessageGroupId: message.tenant,
        DelaySeconds: options.delaySeconds ? Math.min(options.delaySeconds, SQS_MAX_DELAY_SECONDS) : undefined,
      }),
    );
  }

  #depth: { value: number; at: number } | undefined;

  /** At most one GetQueueAttributes per DEPTH_CACHE_MS per process, however many requests ask. */
  async approximateDepth(): Promise<number> {
    if (this.#depth && Date.now() - this.#depth.at < DEPTH_CACHE_MS) return this.#depth.value;
    const { Attributes = {} } = await this.#client.send(
      new GetQueueAttributesCommand({
        QueueUrl: await this.#queueUrl(),
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
        ],
      }),
    );
    const value =
      Number(Attributes.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
    this.#depth = { value, at: Date.now() };
    return value;
  }

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.#client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: await this.#queueUrl(),
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.round(seconds)),
      }),
    );
  }

  async sendToDeadLetter(message: TaskMessage, reason: TaskErrorInfo): Promise<void> {
    await this.#client.send(
      new SendMessageCommand({
        QueueUrl: await this.#deadLetterUrl(),
        MessageBody: encodeTaskMessage(message),
        MessageGroupId: message.tenant,
        MessageAttributes: {
          type: { DataType: "String", StringValue: message.type },
          errorCode: { DataType: "String", StringValue: reason.code },
        },
      }),
    );
  }
}

export function encodeTaskMessage(message: TaskMessage): string {
  return JSON.stringify({ id: message.id, tenant: message.tenant, type: message.type });
}

function memoizedQueueUrl(client: SQSClient, queueName: string): () => Promise<string> {
  let url: Promise<string> | undefined;
  return () => {
    url ??= client.send(new GetQueueUrlCommand({ QueueName: queueName })).then(({ QueueUrl }) => {
      if (!QueueUrl) throw new Error(`SQS returned no URL for queue ${queueName}.`);
      return QueueUrl;
    });
    // A failed lookup is not cached: the next call asks again.
    url.catch(() => {
      url = undefined;
    });
    return url;
  };
}

/** The message body as sent by `encodeTaskMessage`, or undefined if it is not one of ours. */
export function decodeTaskMessage(body: string): TaskMessage | undefined {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== "object" || value === null) return undefined;
    const { id, tenant, type } = value as Record<string, unknown>;
    if (typeof id !== "string" || typeof tenant !== "string" || typeof type !== "string") return undefined;
    return { id, tenant, type };
  } catch {
    return undefined;
  }
}
