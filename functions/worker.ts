/**
 * The SQS worker: runs each record of a batch as one delivery. Records whose task must run again (a retryable
 * failure, or a task held elsewhere) are reported in `batchItemFailures`; the rest are deleted by the event source.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { decodeTaskMessage } from "../lib/adapters/sqs-task-queue.ts";
import { dependenciesFromEnv } from "../lib/container.ts";
import { runDelivery } from "../lib/use-cases/run-delivery.ts";

const processor = new BatchProcessor(EventType.SQS);

class RedeliveryRequested extends Error {}

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const deps = dependenciesFromEnv();
  return processPartialResponse(
    event,
    async (record: SQSRecord) => {
      const message = decodeTaskMessage(record.body);
      if (!message) {
        // Not ours: leave it for the queue's maxReceiveCount to move to the dead-letter queue.
        deps.logger.error("unreadable message; leaving it for the dead-letter queue", { messageId: record.messageId });
        throw new RedeliveryRequested("unreadable message");
      }
      const outcome = await runDelivery(
        {
          message,
          receiptHandle: record.receiptHandle,
          receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1),
        },
        deps,
        { remainingTimeMs: () => context.getRemainingTimeInMillis() },
      );
      if (outcome.kind === "retry") throw new RedeliveryRequested(outcome.reason);
    },
    processor,
    { context, throwOnFullBatchFailure: false },
  );
}
