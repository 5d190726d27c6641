/**
 * The background functions run locally as Lambda runs them: the worker behind an SQS event source on the task queue,
 * the dead-letter consumer on the DLQ, and the sweeper on a timer (never two sweeps at once). Used by `npm start`'s
 * worker process and by the fault suite's.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { Handler } from "aws-lambda";
import { type SqsHandler, startEventSource } from "./local-event-source.ts";

export interface QueueAddress {
  readonly queueUrl: string;
  readonly queueArn: string;
}

export interface BackgroundOptions {
  readonly client: SQSClient;
  readonly region: string;
  readonly taskQueue: QueueAddress;
  readonly deadLetterQueue: QueueAddress;
  readonly handlers: { readonly worker: Handler; readonly deadLetter: Handler; readonly sweeper: (event: object) => Promise<unknown> };
  /** The worker function's timeout. */
  readonly workerTimeoutSeconds: number;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly sweepIntervalMs: number;
  /** Long-poll wait per receive (default 2 s). */
  readonly waitTimeSeconds?: number;
  readonly namePrefix: string;
  readonly onError: (error: unknown) => void;
}

export function startBackgroundFunctions(options: BackgroundOptions): { stop(): Promise<void> } {
  const common = {
    client: options.client,
    region: options.region,
    onError: options.onError,
    ...(options.waitTimeSeconds === undefined ? {} : { waitTimeSeconds: options.waitTimeSeconds }),
  };
  const sources = [
    startEventSource({
      ...common,
      ...options.taskQueue,
      handler: options.handlers.worker as SqsHandler,
      functionName: `${options.namePrefix}-worker`,
      timeoutSeconds: options.workerTimeoutSeconds,
      batchSize: options.batchSize,
      concurrency: options.concurrency,
    }),
    startEventSource({
      ...common,
      ...options.deadLetterQueue,
      handler: options.handlers.deadLetter as SqsHandler,
      functionName: `${options.namePrefix}-dead-letter`,
      timeoutSeconds: 30,
    }),
  ];
  let sweeping = false;
  const sweepTimer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    options.handlers
      .sweeper({})
      .catch(options.onError)
      .finally(() => {
        sweeping = false;
      });
  }, options.sweepIntervalMs);
  return {
    async stop() {
      clearInterval(sweepTimer);
      await Promise.all(sources.map((source) => source.stop()));
    },
  };
}
