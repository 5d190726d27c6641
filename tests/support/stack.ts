/**
 * A private copy of Offload's stack for one test file: the resources of serverless.yml's `test` stage, created in the
 * shared emulator under unique names, and the real dependencies built against them over HTTP.
 */
import { randomBytes } from "node:crypto";
import { GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayRequestAuthorizerEventV2, Handler } from "aws-lambda";
import { afterAll, beforeAll, inject } from "vitest";
import type { Task } from "../../lib/domain/task.ts";
import { eventually } from "./wait.ts";
import { type AwsClients, createAwsClients } from "../../lib/adapters/aws-clients.ts";
import { readConfig, type Config } from "../../lib/config.ts";
import { buildDependencies } from "../../lib/container.ts";
import { silentLogger, type Logger } from "../../lib/logger.ts";
import type { Clock } from "../../lib/ports.ts";
import type { TaskTypeRegistry } from "../../lib/task-types/registry.ts";
import type { Dependencies } from "../../lib/use-cases/dependencies.ts";
import { createWorkerHandler } from "../../lib/handlers/worker.ts";
import { type AuthorizerResult, createAuthorizerHandler } from "../../lib/handlers/authorizer.ts";
import type { HttpResponse } from "../../lib/handlers/http.ts";
import { createApiKey } from "../../lib/use-cases/api-keys.ts";
import { type RunningEventSource, startEventSource, type SqsHandler } from "../../infra/local-event-source.ts";
import { provisionStack, type ProvisionedStack } from "../../infra/provision.ts";
import type { ServerlessConfig } from "../../infra/serverless-config.ts";

export const REGION = "us-east-1";
export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

/** The tenant of a test stack's own API key (`dev`, like `npm start`'s: the tenant the demo dataset is allowed to). */
export const TEST_TENANT = "dev";

export interface TestStack {
  readonly endpoint: string;
  /** An API key (all of tasks:read and tasks:write) of TEST_TENANT, stored in this stack's key table. */
  readonly apiKey: string;
  /** Creates another key in this stack's key table. */
  createKey(tenant: string, scopes?: readonly string[]): Promise<string>;
  /**
   * `handler` as API Gateway calls it: the real authorizer runs first, on the event's own Authorization header, or
   * `Bearer <apiKey>` when the event has none, and its verdict lands in the request context.
   */
  authorized(handler: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>): (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
  readonly config: Config;
  readonly environment: Record<string, string>;
  readonly clients: AwsClients;
  readonly deps: Dependencies;
  readonly provisioned: ProvisionedStack;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Runs the real worker handler behind the local SQS event source until the returned source is stopped. */
  startWorker(options?: { handler?: SqsHandler; concurrency?: number; timeoutSeconds?: number }): RunningEventSource;
  /** Every item in this stack's table. */
  scanTasks(): Promise<Record<string, unknown>[]>;
  /** Visible + in-flight + delayed messages of a queue. */
  messageCount(queueUrl: string): Promise<number>;
  /** Receives (and leaves in flight) up to 10 messages of a queue. */
  receive(queueUrl: string, waitSeconds?: number): Promise<Message[]>;
}

export interface TestStackOptions {
  readonly taskTypes?: TaskTypeRegistry;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Another emulator than the shared one from the global setup (a test that restarts its own). */
  readonly endpoint?: string;
  /** Changes to this stack's copy of the template before it is provisioned (e.g. a shorter visibility timeout). */
  readonly adjustTemplate?: (template: ServerlessConfig) => void;
}

export async function createTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const endpoint = options.endpoint ?? inject("awsEndpoint");
  const suffix = randomBytes(4).toString("hex");
  // Same definitions as the `test` stage, under this file's own names.
  const template = JSON.parse(
    inject("serverlessConfig").replaceAll("offload-test-", `offload-test${suffix}-`),
  ) as ServerlessConfig;
  options.adjustTemplate?.(template);
  const provisioned = await provisionStack(template, { endpoint, region: REGION });
  // The emulator has no Secrets Manager: the watch-token key generated for this stack goes in as a literal.
  const environment: Record<string, string> = {
    ...provisioned.environment,
    WATCH_TOKEN_SECRET: provisioned.secrets[provisioned.environment.WATCH_TOKEN_SECRET_NAME!]!,
  };
  const config = readConfig(environment);
  const clients = createAwsClients({ endpoint, region: REGION, credentials: TEST_CREDENTIALS, forcePathStyle: true });
  const deps = buildDependencies(config, clients, {
    logger: options.logger ?? silentLogger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.taskTypes ? { taskTypes: options.taskTypes } : {}),
  });
  const apiKey = (await createApiKey({ tenant: TEST_TENANT, name: "test stack" }, deps)).key;
  const authorizer = createAuthorizerHandler(() => deps);
  const queue = provisioned.resources.TaskQueue!;
  const deadLetter = provisioned.resources.TaskDeadLetterQueue!;

  return {
    endpoint,
    config,
    environment,
    apiKey,
    async createKey(tenant, scopes) {
      return (await createApiKey({ tenant, scopes, name: "test" }, deps)).key;
    },
    authorized(handler) {
      return behindAuthorizer(authorizer, apiKey, handler);
    },
    clients,
    deps,
    provisioned,
    queueUrl: queue.url!,
    deadLetterQueueUrl: deadLetter.url!,
    startWorker(workerOptions = {}) {
      return startEventSource({
        client: clients.sqs,
        queueUrl: queue.url!,
        queueArn: queue.arn!,
        region: REGION,
        handler: workerOptions.handler ?? (createWorkerHandler(() => deps) as Handler as SqsHandler),
        functionName: "offload-test-worker",
        timeoutSeconds: workerOptions.timeoutSeconds ?? config.workerTimeoutSeconds,
        concurrency: workerOptions.concurrency ?? 2,
        waitTimeSeconds: 1,
      });
    },
    async scanTasks() {
      const { Items } = await clients.dynamo.send(new ScanCommand({ TableName: config.tasksTable, ConsistentRead: true }));
      return Items ?? [];
    },
    async messageCount(queueUrl) {
      const { Attributes = {} } = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
          ],
        }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
        Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
      );
    },
    async receive(queueUrl, waitSeconds = 1) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      return Messages;
    },
  };
}

/**
 * `handler` as API Gateway calls it behind `authorizer` (a request authorizer, simple responses): the authorizer runs
 * first, on the event's own Authorization header, or `Bearer <apiKey>` when the event has none, and its verdict lands
 * in the request context. TestStack.authorized is this with the stack's own authorizer; a test that counts the
 * authorizer's AWS calls passes one built on clients of its own.
 */
export function behindAuthorizer(
  authorizer: (event: APIGatewayRequestAuthorizerEventV2) => Promise<AuthorizerResult>,
  apiKey: string,
  handler: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>,
): (event: APIGatewayProxyEventV2) => Promise<HttpResponse> {
  return async (event) => {
    const hasAuthorization = Object.keys(event.headers ?? {}).some((name) => name.toLowerCase() === "authorization");
    const headers = hasAuthorization ? event.headers : { ...event.headers, authorization: `Bearer ${apiKey}` };
    const verdict = await authorizer({
      ...event,
      headers,
      type: "REQUEST",
      routeArn: "arn:aws:execute-api:us-east-1:000000000000:test/$default/route",
      identitySource: [headers.authorization ?? ""],
    } as unknown as APIGatewayRequestAuthorizerEventV2);
    const requestContext = { ...event.requestContext, authorizer: { lambda: verdict.context } };
    return handler({ ...event, headers, requestContext } as APIGatewayProxyEventV2);
  };
}

/** Runs the worker (behind the local event source) for the enclosing `describe` block. */
export function workerDuringBlock(stack: () => TestStack, options: Parameters<TestStack["startWorker"]>[0] = {}): void {
  let worker: RunningEventSource | undefined;
  beforeAll(() => {
    worker = stack().startWorker(options);
  });
  afterAll(async () => {
    await worker?.stop();
  });
}

/** Waits until the task reaches one of `statuses`, and returns it. */
export function untilStatus(stack: TestStack, id: string, statuses: readonly string[], timeoutMs = 20_000): Promise<Task> {
  return eventually(
    async () => {
      const task = await stack.deps.store.get(id, new Date());
      return task && statuses.includes(task.status) ? task : undefined;
    },
    { what: `task ${id} to reach ${statuses.join("/")}`, timeoutMs },
  );
}
