/**
 * The AWS bill of one successful task, counted on the real SDK clients: enqueue makes 2 calls (PutItem + SendMessage),
 * the worker one consistent read and 2 writes (the claim and the completion) besides the handler's own I/O. The
 * authorizer, a function of its own, is counted apart: one GetItem per key check it is asked for, and one UpdateItem
 * of the key's lastUsedAt at most once a minute per key.
 */
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsClients, createAwsClients } from "../../lib/adapters/aws-clients.ts";
import { DynamoApiKeyStore } from "../../lib/adapters/dynamo-api-key-store.ts";
import { watchTokensFor } from "../../lib/authorizer-container.ts";
import type { Config } from "../../lib/config.ts";
import { buildDependencies } from "../../lib/container.ts";
import { type AuthorizerResult, createAuthorizerHandler } from "../../lib/handlers/authorizer.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createWorkerHandler } from "../../lib/handlers/worker.ts";
import { silentLogger } from "../../lib/logger.ts";
import type { Dependencies } from "../../lib/use-cases/dependencies.ts";
import { enqueue } from "../../lib/use-cases/enqueue.ts";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import { recordCalls, type CallLog } from "../support/aws-calls.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { behindAuthorizer, createTestStack, REGION, TEST_CREDENTIALS, TEST_TENANT, type TestStack } from "../support/stack.ts";
import { body } from "../support/tasks.ts";
import { countingTaskType, registryWith } from "../support/task-types.ts";
import { eventually } from "../support/wait.ts";

let stack: TestStack;
let deps: Dependencies;
let log: CallLog;
let worker: RunningEventSource | undefined;

/** Clients of their own, so that the test's own calls (and the event source's) are not counted. */
function countedClients(): { clients: AwsClients; calls: CallLog } {
  const clients = createAwsClients({ endpoint: stack.endpoint, region: REGION, credentials: TEST_CREDENTIALS, forcePathStyle: true });
  return { clients, calls: recordCalls(clients) };
}

/** The authorizer function as functions/authorizer.ts builds it (lib/authorizer-container.ts), on `clients`. */
function authorizerOn(clients: AwsClients, clock = { now: () => new Date() }) {
  return createAuthorizerHandler(() => ({
    keys: new DynamoApiKeyStore({ client: clients.dynamo, tableName: stack.config.apiKeysTable }),
    watchTokens: watchTokensFor(stack.config, clients, clock),
    clock,
    logger: silentLogger,
  }));
}

beforeAll(async () => {
  stack = await createTestStack();
  const counted = countedClients();
  log = counted.calls;
  deps = buildDependencies(stack.config, counted.clients, {
    logger: silentLogger,
    taskTypes: registryWith(countingTaskType().type),
  });
});

afterAll(async () => {
  await worker?.stop();
});

describe("AWS calls per successful task", () => {
  it("enqueue: one PutItem and one SendMessage (the queue URL is looked up once per cold start)", async () => {
    // The enqueue function as API Gateway calls it, behind the authorizer: a function of its own, counted apart.
    const authorizer = countedClients();
    const enqueueHandler = behindAuthorizer(authorizerOn(authorizer.clients), stack.apiKey, createEnqueueHandler(() => deps));

    const first = await enqueueHandler(jsonRequest("/tasks", { type: "count", input: {} }));
    expect(first.statusCode).toBe(202);
    // The watch token is signed with the stack's literal key here: no call (on AWS, one GetSecretValue per cold start).
    expect(body<{ watchToken?: string }>(first).watchToken).toMatch(/^ofl_wt_/);
    expect(log.count()).toEqual({ "dynamo:PutItem": 1, "sqs:GetQueueUrl": 1, "sqs:SendMessage": 1 });
    // The authorizer (uncached: API Gateway would keep its verdict for authorizerCacheTtlSeconds): the key's GetItem,
    // and its first use recorded.
    expect(authorizer.calls.count()).toEqual({ "dynamo:GetItem": 1, "dynamo:UpdateItem": 1 });

    log.reset();
    authorizer.calls.reset();
    expect((await enqueueHandler(jsonRequest("/tasks", { type: "count", input: {} }))).statusCode).toBe(202);
    expect(log.count()).toEqual({ "dynamo:PutItem": 1, "sqs:SendMessage": 1 });
    // The key was used less than a minute ago: its GetItem only.
    expect(authorizer.calls.count()).toEqual({ "dynamo:GetItem": 1 });
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

  it("enqueue on AWS: the watch-token key is read once per cold start (one GetSecretValue), not per request", async () => {
    const { clients, calls } = countedClients();
    answerGetSecretValue(clients.secrets, "the-stack-watch-token-key");
    // As deployed: no literal key, so the key comes from Secrets Manager (stubbed: the emulator has none).
    const config: Config = { ...stack.config, watchTokenSecret: undefined };
    const onAws = buildDependencies(config, clients, { logger: silentLogger, taskTypes: registryWith(countingTaskType().type) });
    const enqueueHandler = stack.authorized(createEnqueueHandler(() => onAws));

    expect((await enqueueHandler(jsonRequest("/tasks", { type: "count", input: { holdMs: 0 } }))).statusCode).toBe(202);
    expect(calls.count()).toEqual({
      "dynamo:PutItem": 1,
      "sqs:GetQueueUrl": 1,
      "sqs:SendMessage": 1,
      "secrets:GetSecretValue": 1,
    });

    calls.reset();
    expect((await enqueueHandler(jsonRequest("/tasks", { type: "count", input: { holdMs: 0 } }))).statusCode).toBe(202);
    expect(calls.count()).toEqual({ "dynamo:PutItem": 1, "sqs:SendMessage": 1 });
  });

  it("enqueue with back-pressure on: one queue-depth reading per 2 s at most, whatever the request rate", async () => {
    const { clients, calls } = countedClients();
    const limited = buildDependencies({ ...stack.config, maxQueueDepth: 1_000 }, clients, {
      logger: silentLogger,
      taskTypes: registryWith(countingTaskType().type),
    });
    const started = Date.now();
    for (let i = 0; i < 5; i++) await enqueue({ type: "count", input: { holdMs: 0 } }, limited, { tenant: TEST_TENANT });
    const elapsed = Date.now() - started;

    const counts = calls.count();
    expect(counts).toMatchObject({ "dynamo:PutItem": 5, "sqs:SendMessage": 5 });
    expect(counts["sqs:GetQueueAttributes"]).toBeGreaterThanOrEqual(1);
    expect(counts["sqs:GetQueueAttributes"]).toBeLessThanOrEqual(1 + Math.floor(elapsed / 2_000));
  });
});

describe("AWS calls of the authorizer, per request it is asked about", () => {
  // API Gateway keeps a verdict per Authorization header for authorizerCacheTtlSeconds; these are uncached checks.
  const check = (authorizer: ReturnType<typeof authorizerOn>, authorization: string): Promise<AuthorizerResult> =>
    authorizer(
      httpEvent({ method: "GET", path: "/tasks", headers: { authorization } }) as unknown as Parameters<typeof authorizer>[0],
    );

  it("an API key: one GetItem, plus one UpdateItem of lastUsedAt at most once a minute per key", async () => {
    const key = await stack.createKey(TEST_TENANT);
    let now = Date.now();
    const { clients, calls } = countedClients();
    const authorizer = authorizerOn(clients, { now: () => new Date(now) });

    const first = await check(authorizer, `Bearer ${key}`);
    expect(first.context).toMatchObject({ tenant: TEST_TENANT });
    expect(calls.count()).toEqual({ "dynamo:GetItem": 1, "dynamo:UpdateItem": 1 });

    calls.reset();
    for (let i = 0; i < 3; i++) expect((await check(authorizer, `Bearer ${key}`)).context).toMatchObject({ tenant: TEST_TENANT });
    expect(calls.count()).toEqual({ "dynamo:GetItem": 3 });

    calls.reset();
    now += 61_000;
    expect((await check(authorizer, `Bearer ${key}`)).context).toMatchObject({ tenant: TEST_TENANT });
    expect(calls.count()).toEqual({ "dynamo:GetItem": 1, "dynamo:UpdateItem": 1 });
  });

  it("a watch token: no call (an HMAC with the key it already holds)", async () => {
    const { clients, calls } = countedClients();
    const authorizer = authorizerOn(clients);
    const token = await stack.deps.watchTokens.mint({ id: "01JAAAAAAAAAAAAAAAAAAAAAAA", tenant: TEST_TENANT });

    expect((await check(authorizer, `Bearer ${token}`)).context).toMatchObject({
      tenant: TEST_TENANT,
      taskId: "01JAAAAAAAAAAAAAAAAAAAAAAA",
    });
    expect(calls.count()).toEqual({});
  });
});

/** Answers GetSecretValue on `client` as Secrets Manager would, without a network call (counted all the same). */
function answerGetSecretValue(client: SecretsManagerClient, secret: string): void {
  (client.middlewareStack as unknown as { add(middleware: unknown, options: unknown): void }).add(
    () => async () => ({ output: { $metadata: {}, SecretString: secret }, response: {} }),
    { step: "build", name: "answer-get-secret-value" },
  );
}
