/**
 * The SQS worker: runs each record of a batch as one delivery. Records whose task must run again (a retryable
 * failure, or a task held elsewhere) are reported in `batchItemFailures`; the event source deletes the rest.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { decodeTaskMessage } from "../adapters/sqs-task-queue.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { runDelivery } from "../use-cases/run-delivery.ts";

class RedeliveryRequested extends Error {}

export function createWorkerHandler(deps: () => Dependencies) {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, (record: SQSRecord) => processRecord(record, deps(), context), processor, {
      context,
      throwOnFullBatchFailure: false,
    });
}

async function processRecord(record: SQSRecord, deps: Dependencies, context: Context): Promise<void> {
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
}
