/**
 * A local stand-in for Lambda's SQS event source mapping (serverless-offline has none that honours partial batch
 * responses). Like the real one it receives up to `batchSize` messages, invokes the handler with an SQS-shaped event,
 * deletes only the records not reported in `batchItemFailures`, deletes nothing when the invocation throws, and
 * otherwise leaves redelivery to the queue's visibility timeout (and the move to the dead-letter queue to its
 * RedrivePolicy).
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface EventSourceOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly handler: SqsHandler;
  readonly functionName: string;
  /** The function's timeout: `getRemainingTimeInMillis` counts down from it. */
  readonly timeoutSeconds: number;
  readonly batchSize?: number;
  /** Invocations at once (Lambda's maximumConcurrency). */
  readonly concurrency?: number;
  /** Long-poll wait per receive. */
  readonly waitTimeSeconds?: number;
  readonly onError?: (error: unknown) => void;
}

export interface RunningEventSource {
  stop(): Promise<void>;
}

export function startEventSource(options: EventSourceOptions): RunningEventSource {
  const abort = new AbortController();
  const pollers = Array.from({ length: options.concurrency ?? 1 }, () => poll(options, abort.signal));
  return {
    async stop() {
      abort.abort();
      await Promise.allSettled(pollers);
    },
  };
}

async function poll(options: EventSourceOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    let messages: Message[];
    try {
      // Not aborted on stop: a long poll cut short can still take messages, which would then stay invisible for the
      // whole visibility timeout. Stopping waits for the poll (at most `waitTimeSeconds`) and runs what it brought.
      const response = await options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: options.batchSize ?? 10,
          WaitTimeSeconds: options.waitTimeSeconds ?? 2,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      messages = response.Messages ?? [];
    } catch (error) {
      if (signal.aborted) return;
      options.onError?.(error);
      await pause(1_000, signal);
      continue;
    }
    if (messages.length === 0) continue;
    await invoke(options, messages).catch((error: unknown) => options.onError?.(error));
  }
}

async function invoke(options: EventSourceOptions, messages: Message[]): Promise<void> {
  const records = messages.map((message) => toRecord(message, options));
  let response: SQSBatchResponse | undefined;
  try {
    response = await options.handler({ Records: records }, lambdaContext(options));
  } catch (error) {
    // Like Lambda: a failed invocation deletes nothing; every message returns after its visibility timeout.
    options.onError?.(error);
    return;
  }
  const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  const done = records.filter((record) => !failed.has(record.messageId));
  for (let i = 0; i < done.length; i += 10) {
    await options.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.slice(i, i + 10).map((record) => ({ Id: record.messageId, ReceiptHandle: record.receiptHandle })),
      }),
    );
  }
}

function toRecord(message: Message, options: EventSourceOptions): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "000000000000",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? "String",
          ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: options.queueArn,
    awsRegion: options.region,
  };
}

function lambdaContext(options: EventSourceOptions): Context {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const requestId = crypto.randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: options.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${options.region}:000000000000:function:${options.functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
