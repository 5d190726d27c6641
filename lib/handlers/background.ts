/** The two background functions: the scheduled sweeper and the dead-letter queue's consumer. */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { decodeTaskMessage } from "../adapters/sqs-task-queue.ts";
import { handleDeadLetter } from "../use-cases/dead-letter.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { type SweepReport, sweep } from "../use-cases/sweep.ts";

export function createSweeperHandler(deps: () => Dependencies) {
  return async (_event: unknown, context?: Context): Promise<SweepReport> => {
    const budget = context ? Math.max(1_000, context.getRemainingTimeInMillis() - 5_000) : 45_000;
    const report = await sweep(deps(), { timeBudgetMs: budget });
    if (report.resent > 0) deps().logger.warn("sweep finished", { ...report });
    return report;
  };
}

export function createDeadLetterHandler(deps: () => Dependencies) {
  const processor = new BatchProcessor(EventType.SQS);
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const message = decodeTaskMessage(record.body);
        if (!message) {
          deps().logger.error("unreadable message in the dead-letter queue; dropped", { messageId: record.messageId });
          return;
        }
        const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? 0) || undefined;
        await handleDeadLetter(message, receiveCount, deps());
      },
      processor,
      { context, throwOnFullBatchFailure: false },
    );
}
