/**
 * Tenant isolation through the real authorizer and handlers, with a worker running: two tenants, every route. Each
 * tenant's own calls succeed; the other's answer 404 as if the task did not exist; lists and redrive-all never mix;
 * idempotency keys are per tenant; a thumbnail cannot read another tenant's upload; datasets follow the allow-list;
 * the optional live-task cap counts one tenant only.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import type { TaskView } from "../../lib/domain/task.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createEventsHandler } from "../../lib/handlers/events.ts";
import type { HttpResponse } from "../../lib/handlers/http.ts";
import { createListHandler } from "../../lib/handlers/list.ts";
import { createResultHandler } from "../../lib/handlers/result.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import { createCancelHandler, createRedriveAllHandler, createRedriveHandler } from "../../lib/handlers/task-actions.ts";
import { createUploadsHandler } from "../../lib/handlers/uploads.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { tinyPng } from "../support/images.ts";
import { createTestStack, type TestStack, untilStatus, workerDuringBlock } from "../support/stack.ts";
import { body } from "../support/tasks.ts";

type Route = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
type Created = TaskView & { watchToken: string };

let stack: TestStack;
let routes: Record<string, Route>;
let keys: { a: string; b: string };

/** Calls `route` as the holder of `key`. */
function as(key: string, route: string, options: { id?: string; body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {}) {
  const [method, template] = route.split(" ") as [string, string];
  const path = template.replace("{id}", options.id ?? "");
  const base =
    options.body !== undefined
      ? jsonRequest(path, options.body)
      : httpEvent({
          method,
          path,
          ...(options.id ? { pathParameters: { id: options.id } } : {}),
          ...(options.query ? { queryStringParameters: options.query } : {}),
        });
  const event = { ...base, headers: { ...base.headers, ...options.headers, authorization: `Bearer ${key}` } };
  return routes[route]!(event);
}

async function created(response: HttpResponse): Promise<Created> {
  expect(response.statusCode, response.body).toBe(202);
  return body<Created>(response);
}

beforeAll(async () => {
  stack = await createTestStack();
  const deps = () => stack.deps;
  const wrap = (handler: Route) => stack.authorized(handler);
  routes = {
    "POST /tasks": wrap(createEnqueueHandler(deps)),
    "GET /tasks": wrap(createListHandler(deps)),
    "GET /tasks/{id}": wrap(createStatusHandler(deps)),
    "GET /tasks/{id}/events": wrap(createEventsHandler(deps)),
    "GET /tasks/{id}/result": wrap(createResultHandler(deps)),
    "POST /tasks/{id}/cancel": wrap(createCancelHandler(deps)),
    "DELETE /tasks/{id}": wrap(createCancelHandler(deps)),
    "POST /tasks/{id}/redrive": wrap(createRedriveHandler(deps)),
    "POST /tasks/redrive": wrap(createRedriveAllHandler(deps)),
    "POST /uploads": wrap(createUploadsHandler(deps)),
  };
  keys = { a: await stack.createKey("tenant-a"), b: await stack.createKey("tenant-b") };
});

describe("two tenants", () => {
  workerDuringBlock(() => stack);

  it("see only their own tasks on every route; the other's answer 404", async () => {
    const done = await created(await as(keys.a, "POST /tasks", { body: { type: "echo", input: { message: "a" } } }));
    const failed = await created(await as(keys.a, "POST /tasks", { body: { type: "echo", input: { failPermanently: true } } }));
    const live = await created(await as(keys.a, "POST /tasks", { body: { type: "echo", input: { sleepMs: 60_000 }, delaySeconds: 600 } }));
    await untilStatus(stack, done.id, ["succeeded"]);
    await untilStatus(stack, failed.id, ["failed"]);

    for (const [route, id] of [
      ["GET /tasks/{id}", done.id],
      ["GET /tasks/{id}/events", done.id],
      ["GET /tasks/{id}/result", done.id],
      ["POST /tasks/{id}/cancel", live.id],
      ["DELETE /tasks/{id}", live.id],
      ["POST /tasks/{id}/redrive", failed.id],
    ] as const) {
      const answer = await as(keys.b, route, { id });
      expect(answer.statusCode, `${route} by the other tenant`).toBe(404);
      expect(body<{ error: { code: string } }>(answer).error.code).toBe("not_found");
    }
    // Nothing the other tenant did changed anything.
    expect((await stack.deps.store.get(live.id, new Date()))?.status).toBe("scheduled");
    expect((await stack.deps.store.get(failed.id, new Date()))?.status).toBe("failed");

    // The owner's own calls succeed.
    expect((await as(keys.a, "GET /tasks/{id}", { id: done.id })).statusCode).toBe(200);
    expect((await as(keys.a, "GET /tasks/{id}/events", { id: done.id })).statusCode).toBe(200);
    expect((await as(keys.a, "GET /tasks/{id}/result", { id: done.id })).statusCode).toBe(404); // echo makes no file
    expect((await as(keys.a, "POST /tasks/{id}/cancel", { id: live.id })).statusCode).toBe(200);

    // Lists never mix; redrive-all touches only the caller's tasks.
    const own = await created(await as(keys.b, "POST /tasks", { body: { type: "echo", input: { failPermanently: true } } }));
    await untilStatus(stack, own.id, ["failed"]);
    const listA = body<{ tasks: TaskView[] }>(await as(keys.a, "GET /tasks")).tasks.map((task) => task.id);
    const listB = body<{ tasks: TaskView[] }>(await as(keys.b, "GET /tasks")).tasks.map((task) => task.id);
    expect(listA.sort()).toEqual([done.id, failed.id, live.id].sort());
    expect(listB).toEqual([own.id]);
    const failedOfB = body<{ tasks: TaskView[] }>(await as(keys.b, "GET /tasks", { query: { status: "failed" } })).tasks;
    expect(failedOfB.map((task) => task.id)).toEqual([own.id]);

    const redriven = await as(keys.b, "POST /tasks/redrive", { body: {} });
    expect(redriven.statusCode).toBe(202);
    expect(body<{ ids: string[] }>(redriven).ids).toEqual([own.id]);
    expect((await stack.deps.store.get(failed.id, new Date()))?.status).toBe("failed");
  });

  it("keep idempotency keys apart", async () => {
    const request = { body: { type: "echo", input: { message: "same" } }, headers: { "idempotency-key": "order-42" } };
    const first = await created(await as(keys.a, "POST /tasks", request));
    const other = await as(keys.b, "POST /tasks", request);
    expect(other.statusCode).toBe(202);
    expect(body<TaskView>(other).id).not.toBe(first.id);
    const replay = await as(keys.a, "POST /tasks", request);
    expect(replay.statusCode).toBe(200);
    expect(body<TaskView>(replay).id).toBe(first.id);
  });

  it("upload under their own prefix, and a thumbnail cannot read another tenant's upload", async () => {
    const png = await tinyPng();
    const upload = body<{ key: string; upload: { url: string; headers: Record<string, string> } }>(
      await as(keys.b, "POST /uploads", { body: { contentType: "image/png", bytes: png.length, filename: "b.png" } }),
    );
    expect(upload.key).toMatch(/^uploads\/tenant-b\//);
    expect((await fetch(upload.upload.url, { method: "PUT", headers: upload.upload.headers, body: png })).status).toBe(200);

    const before = (await stack.scanTasks()).length;
    const stolen = await as(keys.a, "POST /tasks", { body: { type: "thumbnail", input: { source: upload.key } } });
    expect(stolen.statusCode).toBe(400);
    expect(body<{ error: { code: string; details: { issues: { path: string }[] } } }>(stolen).error).toMatchObject({
      code: "invalid_input",
      details: { issues: [{ path: "source" }] },
    });
    expect((await stack.scanTasks()).length).toBe(before);

    const mine = await created(await as(keys.b, "POST /tasks", { body: { type: "thumbnail", input: { source: upload.key } } }));
    const finished = await untilStatus(stack, mine.id, ["succeeded", "failed"], 30_000);
    expect(finished.status, JSON.stringify(finished.error)).toBe("succeeded");
    const keysWritten = (finished.result as { renditions: { key: string }[] }).renditions.map((r) => r.key);
    expect(keysWritten.every((key) => key.startsWith(`results/tenant-b/${mine.id}/`))).toBe(true);
    // The owner downloads one rendition by name; the other tenant gets 404.
    const thumb = await as(keys.b, "GET /tasks/{id}/result", { id: mine.id, query: { file: "thumb" } });
    expect(thumb.statusCode).toBe(302);
    expect(new URL(String(thumb.headers?.location)).pathname).toContain(`/results/tenant-b/${mine.id}/`);
    expect((await as(keys.a, "GET /tasks/{id}/result", { id: mine.id, query: { file: "thumb" } })).statusCode).toBe(404);
  });

  it("export only the datasets the allow-list gives them", async () => {
    const refused = await as(keys.a, "POST /tasks", { body: { type: "export", input: { dataset: "orders" } } });
    expect(refused.statusCode).toBe(400);
    expect(body<{ error: { code: string } }>(refused).error.code).toBe("invalid_input");
    const allowed = await as(stack.apiKey, "POST /tasks", { body: { type: "export", input: { dataset: "orders" } } });
    expect(allowed.statusCode, allowed.body).toBe(202);
  });
});

describe("the live-task cap per tenant", () => {
  let capped: TestStack;
  let enqueue: Route;

  beforeAll(async () => {
    capped = await createTestStack({
      adjustTemplate: (template) => {
        (template.provider.environment as Record<string, unknown>).MAX_LIVE_TASKS_PER_TENANT = "2";
      },
    });
    enqueue = capped.authorized(createEnqueueHandler(() => capped.deps));
  });

  it("answers 429 tenant_quota_exceeded with Retry-After past the cap, for that tenant only", async () => {
    const noisy = await capped.createKey("noisy");
    const quiet = await capped.createKey("quiet");
    const request = (key: string) => ({
      ...jsonRequest("/tasks", { type: "echo", input: {}, delaySeconds: 600 }),
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    });
    expect((await enqueue(request(noisy))).statusCode).toBe(202);
    expect((await enqueue(request(noisy))).statusCode).toBe(202);
    const over = await enqueue(request(noisy));
    expect(over.statusCode).toBe(429);
    expect(over.headers?.["retry-after"]).toBe("10");
    expect(body<{ error: { code: string } }>(over).error.code).toBe("tenant_quota_exceeded");
    expect((await enqueue(request(quiet))).statusCode).toBe(202);
    expect((await capped.scanTasks()).filter((item) => item.tenant === "noisy")).toHaveLength(2);
  });
});
