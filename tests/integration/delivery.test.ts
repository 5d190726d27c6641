/**
 * What happens to a delivery: retries with backoff, permanent failures and the dead-letter queue, duplicate and
 * concurrent deliveries (the handler runs once), and a crashed worker's task taken over when its lease expires.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SQSEvent } from "aws-lambda";
import { encodeTaskMessage } from "../../lib/adapters/sqs-task-queue.ts";
import { createWorkerHandler } from "../../lib/handlers/worker.ts";
import { enqueue } from "../../lib/use-cases/enqueue.ts";
import { lambdaContext } from "../support/events.ts";
import { createTestStack, TEST_TENANT, type TestStack, untilStatus, workerDuringBlock } from "../support/stack.ts";
import { countingTaskType, registryWith } from "../support/task-types.ts";
import { eventually } from "../support/wait.ts";

const counting = countingTaskType({ timeoutSeconds: 2 });
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ taskTypes: registryWith(counting.type) });
});

/** Enqueues as the stack's tenant: the use case itself, as the enqueue function calls it for an authorized caller. */
const enqueueTask = (body: unknown, deps = stack.deps) => enqueue(body, deps, { tenant: TEST_TENANT });

const finished = (id: string, timeoutMs?: number) => untilStatus(stack, id, ["succeeded", "failed"], timeoutMs);

describe("with the worker running", () => {
  workerDuringBlock(() => stack, { concurrency: 2 });

  it("retries a transient failure with backoff and succeeds on a later attempt", async () => {
    const { task } = await enqueueTask({ type: "echo", input: { message: "again", failAttempts: 1 } });

    const retrying = await eventually(
      async () => {
        const current = await stack.deps.store.get(task.id, new Date());
        return current?.status === "retrying" ? current : undefined;
      },
      { what: "the retrying state" },
    );
    expect(retrying.error?.code).toBe("echo_transient_failure");
    expect(Date.parse(retrying.nextRunAt!)).toBeGreaterThan(Date.parse(retrying.updatedAt));

    const done = await finished(task.id);
    expect(done.status).toBe("succeeded");
    expect(done.attempt).toBe(2);
    expect(done.result).toEqual({ message: "again", attempt: 2 });
    expect(done.error).toBeUndefined();
  });

  it("fails a non-retryable error at once and parks the message in the dead-letter queue", async () => {
    const { task } = await enqueueTask({ type: "echo", input: { failPermanently: true } });

    const done = await finished(task.id);
    expect(done.status).toBe("failed");
    expect(done.attempt).toBe(1);
    expect(done.error).toMatchObject({ code: "echo_failed", retryable: false });
    const dead = await eventually(async () => {
      const messages = await stack.receive(stack.deadLetterQueueUrl);
      return messages.find((m) => JSON.parse(m.Body ?? "{}").id === task.id);
    }, { what: "the dead letter" });
    expect(dead.MessageAttributes?.errorCode?.StringValue).toBe("echo_failed");
  });

  it("fails after the last attempt when every attempt fails", async () => {
    const { task } = await enqueueTask({ type: "echo", input: { failAttempts: 10 } });

    const done = await finished(task.id, 30_000);
    expect(done.status).toBe("failed");
    expect(done.attempt).toBe(3);
    expect(done.error).toMatchObject({ code: "echo_transient_failure", retryable: true });
  });

  it("runs a task once when its message is delivered twice", async () => {
    const { task } = await enqueueTask({ type: "count", input: { holdMs: 300 } });
    // SQS is at-least-once: the same message can arrive again, even while the first delivery runs.
    await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: encodeTaskMessage(task) }));

    const done = await finished(task.id);
    expect(done.status).toBe("succeeded");
    await eventually(async () => (await stack.messageCount(stack.queueUrl)) === 0, {
      what: "both copies to be consumed",
      timeoutMs: 30_000,
    });
    expect(counting.counter.runs.get(task.id)).toBe(1);
  });

  it("takes over a task whose worker died, once its lease has expired", async () => {
    const { task } = await enqueueTask({ type: "count", input: {} });
    // A worker claimed it and died: the lease it held is already over.
    await stack.deps.store.claim(task, { token: "dead-worker", expiresAt: Date.now() - 1 }, new Date());

    const done = await finished(task.id);
    expect(done.status).toBe("succeeded");
    expect(done.attempt).toBe(2);
  });
});

describe("two workers with the same delivery at the same moment", () => {
  it("runs the handler once; the other reports the record for redelivery", async () => {
    const { task } = await enqueueTask({ type: "count", input: { holdMs: 500 } });
    const [message] = await stack.receive(stack.queueUrl, 5);
    const event: SQSEvent = {
      Records: [
        {
          messageId: message!.MessageId!,
          receiptHandle: message!.ReceiptHandle!,
          body: message!.Body!,
          attributes: {
            ApproximateReceiveCount: "1",
            SentTimestamp: String(Date.now()),
            SenderId: "000000000000",
            ApproximateFirstReceiveTimestamp: String(Date.now()),
          },
          messageAttributes: {},
          md5OfBody: message!.MD5OfBody!,
          eventSource: "aws:sqs",
          eventSourceARN: stack.provisioned.resources.TaskQueue!.arn!,
          awsRegion: "us-east-1",
        },
      ],
    };
    const workerA = createWorkerHandler(() => stack.deps);
    const workerB = createWorkerHandler(() => stack.deps);

    const responses = await Promise.all([workerA(event, lambdaContext()), workerB(event, lambdaContext())]);

    expect(counting.counter.runs.get(task.id)).toBe(1);
    const failures = responses.map((response) => response.batchItemFailures.length).sort();
    expect(failures).toEqual([0, 1]);
    expect((await stack.deps.store.get(task.id, new Date()))?.status).toBe("succeeded");
  });
});

describe("a task past its retention", () => {
  it("reads as gone even before DynamoDB's TTL deletes it", async () => {
    const longAgo = new Date(Date.now() - 60 * 86_400_000);
    const { task } = await enqueueTask({ type: "echo", input: {} }, { ...stack.deps, clock: { now: () => longAgo } });

    expect(await stack.deps.store.get(task.id, new Date())).toBeUndefined();
    expect(await stack.deps.store.get(task.id, longAgo)).toBeDefined();
  });
});
