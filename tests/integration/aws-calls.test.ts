/**
 * The AWS bill of one successful task, counted on the real SDK clients: enqueue makes 2 calls (PutItem + SendMessage),
 * the worker one consistent read and 2 writes (the claim and the completion) besides the handler's own I/O.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../lib/adapters/aws-clients.ts";
import { buildDependencies } from "../../lib/container.ts";
import { createWorkerHandler } from "../../lib/handlers/worker.ts";
import { silentLogger } from "../../lib/logger.ts";
import type { Dependencies } from "../../lib/use-cases/dependencies.ts";
import { enqueue } from "../../lib/use-cases/enqueue.ts";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import { recordCalls, type CallLog } from "../support/aws-calls.ts";
import { createTestStack, REGION, TEST_CREDENTIALS, type TestStack } from "../support/stack.ts";
import { countingTaskType, registryWith } from "../support/task-types.ts";
import { eventually } from "../support/wait.ts";

let stack: TestStack;
let deps: Dependencies;
let log: CallLog;
let worker: RunningEventSource | undefined;

beforeAll(async () => {
  stack = await createTestStack();
  // The code under test gets clients of its own, so the test's own calls (and the event source's) are not counted.
  const clients = createAwsClients({ endpoint: stack.endpoint, region: REGION, credentials: TEST_CREDENTIALS, forcePathStyle: true });
  log = recordCalls(clients);
  deps = buildDependencies(stack.config, clients, {
    logger: silentLogger,
    taskTypes: registryWith(countingTaskType().type),
  });
});

afterAll(async () => {
  await worker?.stop();
});

describe("AWS calls per successful task", () => {
  it("enqueue: one PutItem and one SendMessage (the queue URL is looked up once per cold start)", async () => {
    await enqueue({ type: "count", input: {} }, deps);
    expect(log.count()).toEqual({ "dynamo:PutItem": 1, "sqs:GetQueueUrl": 1, "sqs:SendMessage": 1 });

    log.reset();
    await enqueue({ type: "count", input: {} }, deps);
    expect(log.count()).toEqual({ "dynamo:PutItem": 1, "sqs:SendMessage": 1 });
  });

  it("worker: one read and two conditional writes per task (the claim and the completion), for the two tasks above", async () => {
    log.reset();
    worker = stack.startWorker({ handler: createWorkerHandler(() => deps) });

    await eventually(async () => (await stack.scanTasks()).every((task) => task.status === "succeeded"), {
      what: "both tasks to succeed",
    });
    await worker.stop();
    worker = undefined;

    // Two tasks ran: per task, a read, then a claim and a completion guarded by what was read. Deleting the messages
    // is the event source's (Lambda's) job.
    expect(log.count()).toEqual({ "dynamo:GetItem": 2, "dynamo:UpdateItem": 4 });
  });

  it("enqueue with back-pressure on: one queue-depth reading per 2 s at most, whatever the request rate", async () => {
    const clients = createAwsClients({ endpoint: stack.endpoint, region: REGION, credentials: TEST_CREDENTIALS, forcePathStyle: true });
    const calls = recordCalls(clients);
    const limited = buildDependencies({ ...stack.config, maxQueueDepth: 1_000 }, clients, {
      logger: silentLogger,
      taskTypes: registryWith(countingTaskType().type),
    });
    const started = Date.now();
    for (let i = 0; i < 5; i++) await enqueue({ type: "count", input: { holdMs: 0 } }, limited);
    const elapsed = Date.now() - started;

    const counts = calls.count();
    expect(counts).toMatchObject({ "dynamo:PutItem": 5, "sqs:SendMessage": 5 });
    expect(counts["sqs:GetQueueAttributes"]).toBeGreaterThanOrEqual(1);
    expect(counts["sqs:GetQueueAttributes"]).toBeLessThanOrEqual(1 + Math.floor(elapsed / 2_000));
  });
});
