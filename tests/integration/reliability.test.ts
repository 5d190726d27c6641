/**
 * Reliability semantics against the emulator: history, cancellation, redrive, idempotency keys, delays, the sweeper,
 * the dead-letter consumer, back-pressure and a queue that cannot be reached.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeTaskMessage } from "../../lib/adapters/sqs-task-queue.ts";
import { buildDependencies } from "../../lib/container.ts";
import { leaseMs, recoveryBoundSeconds } from "../../lib/domain/lease.ts";
import { type Task, createTask, newTaskId } from "../../lib/domain/task.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createCancelHandler, createRedriveAllHandler, createRedriveHandler } from "../../lib/handlers/task-actions.ts";
import { silentLogger } from "../../lib/logger.ts";
import { handleDeadLetter } from "../../lib/use-cases/dead-letter.ts";
import { enqueue } from "../../lib/use-cases/enqueue.ts";
import { sweep } from "../../lib/use-cases/sweep.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { createTestStack, TEST_TENANT, type TestStack, untilStatus, workerDuringBlock } from "../support/stack.ts";
import { countingTaskType, registryWith } from "../support/task-types.ts";
import { eventually } from "../support/wait.ts";

const counting = countingTaskType({ timeoutSeconds: 30 });
/** The sweeper's schedule translated to the test stage (every minute on AWS, heartbeats of 10 s there and 1 s here). */
const SWEEP_INTERVAL_SECONDS = 1;
const registry = registryWith(counting.type);
let stack: TestStack;

beforeAll(async () => {
  stack = await createTestStack({ taskTypes: registry });
});

/** Enqueues as the stack's tenant: the use case itself, as the enqueue function calls it for an authorized caller. */
const enqueueTask = (body: unknown, deps = stack.deps) => enqueue(body, deps, { tenant: TEST_TENANT });

const read = (id: string) => stack.deps.store.get(id, new Date()) as Promise<Task>;

const until = (id: string, statuses: string[], timeoutMs?: number) => untilStatus(stack, id, statuses, timeoutMs);

const body = (response: { body?: string }) => JSON.parse(response.body ?? "null");
const action = (id: string, path: string) =>
  httpEvent({ method: "POST", path: `/tasks/${id}/${path}`, pathParameters: { id } });

describe("with the worker running", () => {
  workerDuringBlock(() => stack, { concurrency: 2 });

  it("records every transition in the task's history, oldest first", async () => {
    const { task } = await enqueueTask({ type: "echo", input: { failAttempts: 1 } });

    const done = await until(task.id, ["succeeded"]);

    expect(done.history?.map((e) => [e.from, e.to, e.attempt])).toEqual([
      [null, "queued", 0],
      ["queued", "running", 1],
      ["running", "retrying", 1],
      ["retrying", "running", 2],
      ["running", "succeeded", 2],
    ]);
    expect(done.history?.[2]?.error?.code).toBe("echo_transient_failure");
  });

  it("cancels a running task: its signal fires and it ends cancelled, not succeeded", async () => {
    const cancel = stack.authorized(createCancelHandler(() => stack.deps));
    const { task } = await enqueueTask({ type: "count", input: { holdMs: 20_000 } });
    await until(task.id, ["running"]);

    const response = await cancel(action(task.id, "cancel"));

    expect(response.statusCode).toBe(200);
    expect(body(response).status).toBe("cancelled");
    // The attempt learns of it at its next heartbeat (1 s in the test stage) and stops.
    await eventually(async () => counting.counter.aborted.has(task.id), { what: "the handler's signal to fire" });
    await eventually(async () => (await stack.messageCount(stack.queueUrl)) === 0, { what: "the message to go" });
    const after = await read(task.id);
    expect(after.status).toBe("cancelled");
    expect(after.result).toBeUndefined();
    expect(after.history?.at(-1)).toMatchObject({ from: "running", to: "cancelled" });
  });

  it("redrives a failed task with a fresh attempt budget, recorded in its history", async () => {
    const redrive = stack.authorized(createRedriveHandler(() => stack.deps));
    counting.counter.failing = true;
    const { task } = await enqueueTask({ type: "count", input: { note: "redrive-one" } });
    const failed = await until(task.id, ["failed"]);
    expect(failed.error?.code).toBe("told_to_fail");
    counting.counter.failing = false;

    const response = await redrive(action(task.id, "redrive"));

    expect(response.statusCode).toBe(202);
    expect(body(response)).toMatchObject({ status: "queued", maxAttempts: failed.attempt + 3 });
    const done = await until(task.id, ["succeeded"]);
    expect(done.attempt).toBe(2);
    expect(done.history?.some((e) => e.note?.startsWith("redriven"))).toBe(true);
  });

  it("redrives every failed task of a type at once", async () => {
    counting.counter.failing = true;
    const ids = await Promise.all(
      [1, 2, 3].map(async (n) => (await enqueueTask({ type: "count", input: { note: `all-${n}` } })).task.id),
    );
    for (const id of ids) await until(id, ["failed"]);
    counting.counter.failing = false;
    const redriveAll = stack.authorized(createRedriveAllHandler(() => stack.deps));

    const response = await redriveAll(jsonRequest("/tasks/redrive", { type: "count" }));

    expect(response.statusCode).toBe(202);
    expect(body(response).ids).toEqual(expect.arrayContaining(ids));
    for (const id of ids) expect((await until(id, ["succeeded"])).status).toBe("succeeded");
  });

  it("holds a delayed task as scheduled until its run time", async () => {
    const { task } = await enqueueTask({ type: "count", input: {}, delaySeconds: 2 });
    expect(task.status).toBe("scheduled");
    expect(Date.parse(task.runAt!) - Date.parse(task.createdAt)).toBe(2000);

    const done = await until(task.id, ["succeeded"]);
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(task.runAt!));
    expect(done.history?.[0]).toMatchObject({ to: "scheduled" });
  });
});

describe("requests that change a task", () => {
  it("refuses to cancel a finished task (409) or an unknown one (404)", async () => {
    const cancel = stack.authorized(createCancelHandler(() => stack.deps));
    const task = createTask({ id: newTaskId(new Date()), tenant: TEST_TENANT, type: "count", input: {}, maxAttempts: 1, retentionDays: 1, now: new Date() });
    await stack.deps.store.create(task);
    await stack.deps.store.abandon(task, { code: "x", message: "x", retryable: false }, new Date());

    expect((await cancel(action(task.id, "cancel"))).statusCode).toBe(409);
    expect(body(await cancel(action(task.id, "cancel"))).error.code).toBe("task_finished");
    expect((await cancel(action("01JAAAAAAAAAAAAAAAAAAAAAAA", "cancel"))).statusCode).toBe(404);
  });

  it("never starts a task cancelled while queued", async () => {
    const cancel = stack.authorized(createCancelHandler(() => stack.deps));
    const { task } = await enqueueTask({ type: "count", input: { note: "cancel-queued" } });

    expect(body(await cancel(action(task.id, "cancel"))).status).toBe("cancelled");
    const worker = stack.startWorker();
    await eventually(async () => (await stack.messageCount(stack.queueUrl)) === 0, { what: "the message to go" });
    await worker.stop();

    expect(counting.counter.runs.has(task.id)).toBe(false);
    expect((await read(task.id)).status).toBe("cancelled");
  });

  it("refuses to redrive a task that has not failed", async () => {
    const { task } = await enqueueTask({ type: "count", input: {}, delaySeconds: 600 });
    const response = await stack.authorized(createRedriveHandler(() => stack.deps))(action(task.id, "redrive"));
    expect(response.statusCode).toBe(409);
    expect(body(response).error.code).toBe("task_not_failed");
  });
});

describe("idempotency keys", () => {
  const request = (key: string, input: unknown) =>
    httpEvent({
      method: "POST",
      path: "/tasks",
      headers: { "content-type": "application/json", "idempotency-key": key },
      body: JSON.stringify({ type: "count", input, delaySeconds: 900 }),
    });

  it("returns the original task (200) for the same key and request", async () => {
    const enqueueHandler = stack.authorized(createEnqueueHandler(() => stack.deps));
    const first = await enqueueHandler(request("order-42", { note: "a" }));
    const again = await enqueueHandler(request("order-42", { note: "a" }));

    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(200);
    expect(again.headers?.["idempotent-replayed"]).toBe("true");
    expect(body(again).id).toBe(body(first).id);
  });

  it("refuses the same key with a different request (422)", async () => {
    const enqueueHandler = stack.authorized(createEnqueueHandler(() => stack.deps));
    await enqueueHandler(request("order-43", { note: "a" }));
    const other = await enqueueHandler(request("order-43", { note: "b" }));

    expect(other.statusCode).toBe(422);
    expect(body(other).error.code).toBe("idempotency_key_reused");
  });

  it("creates exactly one task for concurrent duplicates", async () => {
    const enqueueHandler = stack.authorized(createEnqueueHandler(() => stack.deps));
    const before = (await stack.scanTasks()).filter((item) => item.type === "count").length;

    const responses = await Promise.all(Array.from({ length: 8 }, () => enqueueHandler(request("order-44", { note: "c" }))));

    expect(new Set(responses.map((r) => body(r).id)).size).toBe(1);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
    expect((await stack.scanTasks()).filter((item) => item.type === "count").length).toBe(before + 1);
  });
});

describe("an idempotency key whose first request died", () => {
  it("is taken over once stale, so a retry creates the task instead of waiting forever", async () => {
    const request = { type: "count", input: { note: "died" }, delaySeconds: 900 };
    // The first request reserved the key, then lost DynamoDB before writing its task and could not free the key.
    const dying = {
      ...stack.deps,
      store: { ...stack.deps.store, create: async () => Promise.reject(new Error("connection reset")) },
      idempotency: {
        reserve: stack.deps.idempotency.reserve.bind(stack.deps.idempotency),
        takeOver: stack.deps.idempotency.takeOver.bind(stack.deps.idempotency),
        release: async () => Promise.reject(new Error("connection reset")),
      },
    };
    await expect(enqueue(request, dying, { tenant: TEST_TENANT, idempotencyKey: "died-1" })).rejects.toThrow("connection reset");

    // Right away, a retry is told the first request is still in progress...
    await expect(enqueue(request, stack.deps, { tenant: TEST_TENANT, idempotencyKey: "died-1" })).rejects.toMatchObject({
      code: "idempotency_key_in_progress",
    });
    // ...and once the reservation is stale, the retry takes the key over and creates the task.
    const later = { ...stack.deps, clock: { now: () => new Date(Date.now() + 11_000) } };
    const retried = await enqueue(request, later, { tenant: TEST_TENANT, idempotencyKey: "died-1" });
    expect(retried.replayed).toBe(false);
    const replay = await enqueue(request, later, { tenant: TEST_TENANT, idempotencyKey: "died-1" });
    expect(replay).toMatchObject({ replayed: true, task: { id: retried.task.id } });
  });
});

describe("the sweeper", () => {
  it("sends the message of a task whose record was written but never sent, and it then runs", async () => {
    // The process died between PutItem and SendMessage.
    const task = createTask({ id: newTaskId(new Date()), tenant: TEST_TENANT, type: "count", input: {}, maxAttempts: 3, retentionDays: 1, now: new Date() });
    await stack.deps.store.create(task);
    // The sweeper first looks at a new task a lease after it was written.
    const later = new Date(Date.now() + leaseMs(stack.config.heartbeatSeconds) + 1_000);

    const report = await sweep({ ...stack.deps, clock: { now: () => later } });

    expect(report.resent).toBeGreaterThanOrEqual(1);
    const worker = stack.startWorker();
    try {
      expect((await until(task.id, ["succeeded"])).history?.some((e) => e.note?.includes("sweeper"))).toBe(true);
    } finally {
      await worker.stop();
    }
  });

  it("picks up a task written without its message within the recovery bound, the sweeper on its schedule", async () => {
    const boundMs =
      recoveryBoundSeconds({
        heartbeatSeconds: stack.config.heartbeatSeconds,
        sweepIntervalSeconds: SWEEP_INTERVAL_SECONDS,
      }) * 1000;
    const worker = stack.startWorker();
    let sweeping = false;
    const sweeper = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      void sweep(stack.deps)
        .catch(() => {}) // the next run tries again
        .finally(() => {
          sweeping = false;
        });
    }, SWEEP_INTERVAL_SECONDS * 1000);
    try {
      // The producer wrote the record and died before SendMessage.
      const task = createTask({ id: newTaskId(new Date()), tenant: TEST_TENANT, type: "count", input: { note: "no message" }, maxAttempts: 3, retentionDays: 1, now: new Date() });
      await stack.deps.store.create(task);

      const done = await until(task.id, ["succeeded"], boundMs + 10_000);

      const claimedAt = Date.parse(done.history?.find((event) => event.to === "running")?.at ?? "");
      const waitedMs = claimedAt - Date.parse(task.createdAt);
      console.log(
        `task written without its message: claimed after ${(waitedMs / 1000).toFixed(1)} s ` +
          `(bound at heartbeat ${stack.config.heartbeatSeconds} s, sweep every ${SWEEP_INTERVAL_SECONDS} s: ${boundMs / 1000} s)`,
      );
      // Not before the sweeper's first look (no message could have run it earlier), and within the bound.
      expect(waitedMs).toBeGreaterThanOrEqual(leaseMs(stack.config.heartbeatSeconds));
      expect(waitedMs).toBeLessThanOrEqual(boundMs);
      expect(done.history?.some((event) => event.note?.includes("re-sent by the sweeper"))).toBe(true);
    } finally {
      clearInterval(sweeper);
      await worker.stop();
    }
  });

  it("queues a task scheduled beyond SQS's 15-minute delay once it is nearly due", async () => {
    const before = await stack.messageCount(stack.queueUrl);
    const { task } = await enqueueTask({ type: "count", input: { note: "far" }, delaySeconds: 3 * 3600 });
    expect(await stack.messageCount(stack.queueUrl)).toBe(before); // too far ahead for an SQS delay: no message yet
    const tenMinutesBefore = new Date(Date.parse(task.runAt!) - 10 * 60_000);

    await sweep({ ...stack.deps, clock: { now: () => tenMinutesBefore } });

    // (Other tasks of this file due by then are swept too.)
    expect(await stack.messageCount(stack.queueUrl)).toBeGreaterThan(before);
    expect((await read(task.id)).history?.at(-1)?.note).toBe("queued by the sweeper for its run time");
  });
});

describe("the dead-letter consumer", () => {
  it("fails a live task whose message died, and leaves finished ones alone", async () => {
    const { task } = await enqueueTask({ type: "count", input: { note: "dlq" }, delaySeconds: 900 });
    // Pretend it became due and its message was dead-lettered.
    const due = { ...stack.deps, clock: { now: () => new Date(Date.now() + 901_000) } };

    expect(await handleDeadLetter(task, 5, due)).toBe("failed");
    const failed = await read(task.id);
    expect(failed.error).toMatchObject({ code: "dead_lettered" });
    expect(await handleDeadLetter(task, 5, due)).toBe("already_finished");
  });
});

describe("back-pressure and an unreachable queue", () => {
  it("answers 429 with Retry-After once the queue holds maxQueueDepth messages", async () => {
    for (let i = 0; i < 3; i++) {
      await stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: stack.queueUrl, MessageBody: encodeTaskMessage({ id: `filler-${i}`, tenant: TEST_TENANT, type: "count" }) }));
    }
    const deps = buildDependencies({ ...stack.config, maxQueueDepth: 3 }, stack.clients, { logger: silentLogger, taskTypes: registry });
    const enqueueHandler = stack.authorized(createEnqueueHandler(() => deps));

    const response = await enqueueHandler(jsonRequest("/tasks", { type: "count", input: {} }));

    expect(response.statusCode).toBe(429);
    expect(response.headers?.["retry-after"]).toBe("30");
    expect(body(response).error).toMatchObject({ code: "queue_full", details: { limit: 3 } });
  });

  it("answers 503 when the queue cannot be reached, and fails the task it wrote", async () => {
    const deps = buildDependencies({ ...stack.config, taskQueueName: "no-such-queue" }, stack.clients, { logger: silentLogger, taskTypes: registry });
    const enqueueHandler = stack.authorized(createEnqueueHandler(() => deps));

    const response = await enqueueHandler(jsonRequest("/tasks", { type: "count", input: { note: "503" } }));

    expect(response.statusCode).toBe(503);
    const { taskId } = body(response).error.details;
    expect((await read(taskId)).error?.code).toBe("queue_unavailable");
  });
});
