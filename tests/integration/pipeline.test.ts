/** enqueue → worker → status through the real functions, the real SDK and the emulator over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import type { TaskView } from "../../lib/domain/task.ts";
import { createTestStack, type TestStack } from "../support/stack.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { eventually } from "../support/wait.ts";
import type { RunningEventSource } from "../../infra/local-event-source.ts";

let stack: TestStack;
let worker: RunningEventSource;
let enqueueHandler: ReturnType<typeof createEnqueueHandler>;
let statusHandler: ReturnType<typeof createStatusHandler>;

beforeAll(async () => {
  stack = await createTestStack();
  enqueueHandler = stack.authorized(createEnqueueHandler(() => stack.deps));
  statusHandler = stack.authorized(createStatusHandler(() => stack.deps));
  worker = stack.startWorker();
});

afterAll(async () => {
  await worker?.stop();
});

function body<T>(response: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(response.body ?? "null") as T;
}

async function getStatus(id: string) {
  return statusHandler(httpEvent({ method: "GET", path: `/tasks/${id}`, pathParameters: { id } }));
}

async function waitForStatus(id: string, statuses: string[]): Promise<TaskView> {
  return eventually(
    async () => {
      const view = body<TaskView>(await getStatus(id));
      return statuses.includes(view.status) ? view : undefined;
    },
    { what: `task ${id} to reach ${statuses.join("/")}` },
  );
}

describe("enqueue → worker → status", () => {
  it("answers 202 with the task and a Location, then the worker runs it to success", async () => {
    const response = await enqueueHandler(jsonRequest("/tasks", { type: "echo", input: { message: "hello" } }));

    expect(response.statusCode).toBe(202);
    const queued = body<TaskView>(response);
    expect(queued).toMatchObject({ type: "echo", status: "queued", attempt: 0 });
    expect(response.headers?.location).toBe(`/tasks/${queued.id}`);

    const done = await waitForStatus(queued.id, ["succeeded", "failed"]);
    expect(done.status).toBe("succeeded");
    expect(done.result).toEqual({ message: "hello", attempt: 1 });
    expect(done.attempt).toBe(1);
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    await eventually(async () => (await stack.messageCount(stack.queueUrl)) === 0, { what: "the queue to drain" });
  });
});
