/**
 * Hostile requests at the handler level, through the real authorizer against the emulator: bodies that are JSON but
 * not objects (`0`, `false`, `null`, `""`, `"x"`, `[]`, a JSON string holding an object), no body, no content type,
 * bodies over the limit, and crafted list cursors. Every answer is a 4xx and conforms to the OpenAPI document; none
 * redrives, cancels or writes anything. (What only the local HTTP layer can show — wrong methods, unknown routes, a
 * body with no content type through serverless-offline — is in tests/e2e/edges.test.ts, through `npm start`.)
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import type { TaskView } from "../../lib/domain/task.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { type HttpResponse, LOCAL_CONTENT_TYPE_HEADER } from "../../lib/handlers/http.ts";
import { createListHandler } from "../../lib/handlers/list.ts";
import { createRedriveAllHandler } from "../../lib/handlers/task-actions.ts";
import { createUploadsHandler } from "../../lib/handlers/uploads.ts";
import { encodeCursor } from "../../lib/use-cases/list-tasks.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { nonConformance } from "../support/openapi.ts";
import { createTestStack, TEST_TENANT, type TestStack, untilStatus, workerDuringBlock } from "../support/stack.ts";
import { body } from "../support/tasks.ts";

type Route = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
type ErrorBody = { error: { code: string; message: string } };

const BODY_ROUTES = ["POST /tasks", "POST /uploads", "POST /tasks/redrive"] as const;
const JSON_TYPE = { "content-type": "application/json" };
const A_TASK_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

let stack: TestStack;
let routes: Record<string, Route>;
let failedId: string;

/** Calls a route and checks the answer against the OpenAPI document. */
async function call(route: string, event: Partial<APIGatewayProxyEventV2> & { headers?: Record<string, string> }) {
  const [method, path] = route.replace(/^local /, "").split(" ") as [string, string];
  const response = await routes[route]!({ ...httpEvent({ method, path }), ...event });
  expect(nonConformance(method, path, response), `${route} → ${response.statusCode} ${response.body}`).toEqual([]);
  return response;
}

const post = (route: string, raw: string | undefined, headers: Record<string, string> = JSON_TYPE) =>
  call(route, { headers, ...(raw === undefined ? {} : { body: raw }) });

beforeAll(async () => {
  stack = await createTestStack();
  const deps = () => stack.deps;
  routes = {
    "POST /tasks": stack.authorized(createEnqueueHandler(deps)),
    "POST /uploads": stack.authorized(createUploadsHandler(deps)),
    "POST /tasks/redrive": stack.authorized(createRedriveAllHandler(deps)),
    "GET /tasks": stack.authorized(createListHandler(deps)),
    // As behind the local gateway of `npm start` (OFFLOAD_LOCAL_GATEWAY=true).
    "local POST /tasks/redrive": stack.authorized(
      createRedriveAllHandler(() => ({ ...stack.deps, config: { ...stack.config, localGateway: true } })),
    ),
  };
});

describe("hostile bodies", () => {
  workerDuringBlock(() => stack);

  beforeAll(async () => {
    const response = await routes["POST /tasks"]!(jsonRequest("/tasks", { type: "echo", input: { failPermanently: true } }));
    failedId = body<TaskView>(response).id;
    await untilStatus(stack, failedId, ["failed"]);
  });

  const notObjects = ["0", "false", "null", '""', '"x"', "[]", "[{}]", "1e3", JSON.stringify('{"type":"echo"}')];
  it.each(BODY_ROUTES.flatMap((route) => notObjects.map((raw) => [route, raw])))(
    "%s answers the JSON value %s with 400 invalid_request",
    async (route, raw) => {
      const response = await post(route, raw);

      expect(response.statusCode).toBe(400);
      expect(body<ErrorBody>(response).error.code).toBe("invalid_request");
      expect(body<ErrorBody>(response).error.message).toMatch(/^The body must be a JSON object; got /);
    },
  );

  it.each(BODY_ROUTES.flatMap((route) => [[route, undefined], [route, ""], [route, " "]]))(
    "%s answers an empty body (%j) with 400 invalid_json: POST /tasks/redrive needs {} to redrive everything",
    async (route, raw) => {
      const response = await post(route, raw);

      expect(response.statusCode).toBe(400);
      expect(body<ErrorBody>(response).error.code).toBe("invalid_json");
    },
  );

  it.each(BODY_ROUTES.flatMap((route) => [[route, "{}"], [route, undefined]]))(
    "%s answers a request with no content type (body %j) with 415",
    async (route, raw) => {
      const response = await post(route, raw, {});

      expect(response.statusCode).toBe(415);
      expect(body<ErrorBody>(response).error).toMatchObject({ code: "unsupported_media_type", message: expect.stringContaining('(got "none")') });
    },
  );

  it.each(BODY_ROUTES)("%s answers a body over 64 KiB with 413 body_too_large", async (route) => {
    const response = await post(route, JSON.stringify({ type: "echo", padding: "x".repeat(70_000) }));

    expect(response.statusCode).toBe(413);
    expect(body<ErrorBody>(response).error.code).toBe("body_too_large");
  });

  it("behind the local gateway, `-d 0` (relayed as it came, with its real content type) is a 400 too", async () => {
    const relayed = (raw: string, contentType: string | null) => ({
      headers: { "content-type": "application/octet-stream", [LOCAL_CONTENT_TYPE_HEADER]: JSON.stringify(contentType) },
      body: Buffer.from(raw).toString("base64"),
      isBase64Encoded: true,
    });
    const zero = await call("local POST /tasks/redrive", relayed("0", "application/json"));
    const untyped = await call("local POST /tasks/redrive", relayed("{}", null));

    expect([zero.statusCode, body<ErrorBody>(zero).error.code]).toEqual([400, "invalid_request"]);
    expect([untyped.statusCode, body<ErrorBody>(untyped).error.code]).toEqual([415, "unsupported_media_type"]);
  });

  it("none of them redrove or wrote anything; then {} redrives the failed task", async () => {
    expect((await stack.deps.store.get(failedId, new Date()))?.status).toBe("failed");
    expect((await stack.scanTasks()).map((item) => item.id)).toEqual([failedId]);

    const response = await post("POST /tasks/redrive", "{}");

    expect(response.statusCode).toBe(202);
    expect(body<{ ids: string[] }>(response).ids).toEqual([failedId]);
  });
});

describe("crafted list cursors", () => {
  const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");
  const key = { id: A_TASK_ID, tenant: TEST_TENANT };
  const statusKey = { id: A_TASK_ID, tenantStatus: `${TEST_TENANT}#failed` };

  it.each([
    ["base64 of a JSON array", { cursor: b64("[1,2]") }, "invalid_cursor"],
    ["base64 of a JSON string", { cursor: b64('"cursor"') }, "invalid_cursor"],
    ["base64 of a number", { cursor: b64("42") }, "invalid_cursor"],
    ["base64 of null", { cursor: b64("null") }, "invalid_cursor"],
    ["base64 of another object", { cursor: b64('{"a":1}') }, "invalid_cursor"],
    ["base64 of a key with a number id", { cursor: b64(`{"id":1,"tenant":"${TEST_TENANT}"}`) }, "invalid_cursor"],
    ["base64 of a key with an object tenant", { cursor: b64(`{"id":"${A_TASK_ID}","tenant":{"S":"x"}}`) }, "invalid_cursor"],
    ["base64 of DynamoDB JSON", { cursor: b64(`{"id":{"S":"${A_TASK_ID}"},"tenant":{"S":"${TEST_TENANT}"}}`) }, "invalid_cursor"],
    ["another tenant's key", { cursor: encodeCursor({ ...key, tenant: "someone-else" }) }, "invalid_cursor"],
    ["another tenant's status key", { cursor: encodeCursor({ id: A_TASK_ID, tenantStatus: "someone-else#failed" }), status: "failed" }, "invalid_cursor"],
    ["a key with an extra field", { cursor: encodeCursor({ ...key, createdAt: "2026-01-01" }) }, "invalid_cursor"],
    ["a status key with the tenant added", { cursor: encodeCursor({ ...statusKey, tenant: TEST_TENANT }), status: "failed" }, "invalid_cursor"],
    ["a status key without its status filter", { cursor: encodeCursor(statusKey) }, "invalid_cursor"],
    ["a key without its id", { cursor: encodeCursor({ tenant: TEST_TENANT }) }, "invalid_cursor"],
    ["a key with a malformed id", { cursor: encodeCursor({ ...key, id: "../../etc/passwd" }) }, "invalid_cursor"],
    ["a huge cursor", { cursor: b64(JSON.stringify({ ...key, pad: "x".repeat(5_000) })) }, "invalid_query"],
    ["a long one just under the size limit", { cursor: b64(JSON.stringify({ ...key, id: "0".repeat(1_400) })) }, "invalid_cursor"],
    ["not base64url", { cursor: "%%%" }, "invalid_cursor"],
    ["standard base64 padding", { cursor: `${b64(JSON.stringify(key))}==` }, "invalid_cursor"],
    ["base64url of binary", { cursor: Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString("base64url") }, "invalid_cursor"],
    ["non-ASCII", { cursor: "é" }, "invalid_cursor"],
    ["empty", { cursor: "" }, "invalid_cursor"],
  ])("answers %s with 400 %s, never a 5xx", async (_what, query, code) => {
    const response = await call("GET /tasks", { queryStringParameters: query as Record<string, string> });

    expect(response.statusCode).toBe(400);
    expect(body<ErrorBody>(response).error.code).toBe(code);
  });

  it("a real cursor still pages on", async () => {
    for (const message of ["one", "two"]) {
      const created = await routes["POST /tasks"]!(jsonRequest("/tasks", { type: "echo", input: { message } }));
      expect(created.statusCode).toBe(202);
    }
    const first = body<{ nextCursor: string }>(await call("GET /tasks", { queryStringParameters: { limit: "1" } }));
    const next = await call("GET /tasks", { queryStringParameters: { limit: "1", cursor: first.nextCursor } });

    expect(next.statusCode).toBe(200);
    expect(body<{ tasks: unknown[] }>(next).tasks).toHaveLength(1);
  });
});
