/** Every kind of bad request gets a clear 4xx JSON error and leaves nothing behind in DynamoDB or SQS. */
import { beforeAll, describe, expect, it } from "vitest";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import { httpEvent } from "../support/events.ts";
import { createTestStack, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let enqueue: ReturnType<typeof createEnqueueHandler>;
let status: ReturnType<typeof createStatusHandler>;

beforeAll(async () => {
  stack = await createTestStack();
  enqueue = stack.authorized(createEnqueueHandler(() => stack.deps));
  status = stack.authorized(createStatusHandler(() => stack.deps));
});

const json = { "content-type": "application/json" };
const post = (body: string | undefined, headers: Record<string, string> = json) =>
  httpEvent({ method: "POST", path: "/tasks", headers, ...(body === undefined ? {} : { body }) });

describe("POST /tasks with bad input", () => {
  it.each([
    ["malformed JSON", post("{not json"), 400, "invalid_json"],
    ["an empty body", post(undefined), 400, "invalid_json"],
    ["a missing type", post('{"input":{}}'), 400, "invalid_request"],
    ["a JSON array", post("[]"), 400, "invalid_request"],
    ["an unknown type", post('{"type":"resize-the-moon"}'), 400, "unknown_task_type"],
    ["input failing the type's schema", post('{"type":"echo","input":{"sleepMs":999999}}'), 400, "invalid_input"],
    ["input of the wrong kind", post('{"type":"echo","input":"hello"}'), 400, "invalid_input"],
    ["a text/plain body", post('{"type":"echo"}', { "content-type": "text/plain" }), 415, "unsupported_media_type"],
    ["no content type", post('{"type":"echo"}', {}), 415, "unsupported_media_type"],
    ["a body over 64 KiB", post(JSON.stringify({ type: "echo", input: { message: "x".repeat(70_000) } })), 413, "body_too_large"],
  ])("answers %s with a JSON error naming the problem", async (_what, event, statusCode, code) => {
    const response = await enqueue(event);

    expect(response.statusCode).toBe(statusCode);
    expect(response.headers?.["content-type"]).toMatch(/^application\/json/);
    const body = JSON.parse(response.body ?? "{}");
    expect(body.error.code).toBe(code);
    expect(body.error.message).toEqual(expect.any(String));
  });

  it("has written nothing to DynamoDB or SQS after all of them", async () => {
    expect(await stack.scanTasks()).toEqual([]);
    expect(await stack.messageCount(stack.queueUrl)).toBe(0);
  });
});

describe("GET /tasks/{id}", () => {
  it.each([
    ["an unknown ULID", "01JAAAAAAAAAAAAAAAAAAAAAAA"],
    ["something that is not a task id", "../../etc"],
  ])("answers 404 for %s", async (_what, id) => {
    const response = await status(httpEvent({ method: "GET", path: `/tasks/${id}`, pathParameters: { id } }));

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body ?? "{}").error.code).toBe("not_found");
  });
});
