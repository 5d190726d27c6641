/**
 * The status API through its real handlers against the emulator: ETag and 304, long polling, events, listing
 * through the indexes with cursors, bad query strings, and every response checked against GET /openapi.json.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import type { TaskView } from "../../lib/domain/task.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createEventsHandler } from "../../lib/handlers/events.ts";
import { createListHandler } from "../../lib/handlers/list.ts";
import { createOpenApiHandler } from "../../lib/handlers/openapi.ts";
import { createResultHandler } from "../../lib/handlers/result.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import { createUploadsHandler } from "../../lib/handlers/uploads.ts";
import { encodeCursor } from "../../lib/use-cases/list-tasks.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { apiDocument, nonConformance } from "../support/openapi.ts";
import { createTestStack, TEST_TENANT, type TestStack } from "../support/stack.ts";
import { body } from "../support/tasks.ts";
import { eventually } from "../support/wait.ts";

type Response = APIGatewayProxyStructuredResultV2;
let stack: TestStack;
let worker: RunningEventSource;
let handlers: Record<string, (event: ReturnType<typeof httpEvent>) => Promise<Response>>;
const problems: string[] = [];

/** Calls a route's handler and checks the answer against the OpenAPI document. */
async function call(
  route: string,
  options: { method?: string; id?: string; query?: Record<string, string>; headers?: Record<string, string>; body?: unknown; rawBody?: string },
): Promise<Response> {
  const method = options.method ?? "GET";
  const path = route.replace("{id}", options.id ?? "");
  const event =
    options.body !== undefined
      ? { ...jsonRequest(path, options.body), ...(options.headers ? { headers: { "content-type": "application/json", ...options.headers } } : {}) }
      : httpEvent({
          method,
          path,
          headers: options.headers ?? {},
          ...(options.rawBody !== undefined ? { body: options.rawBody } : {}),
          ...(options.id !== undefined ? { pathParameters: { id: options.id } } : {}),
          ...(options.query ? { queryStringParameters: options.query } : {}),
        });
  const response = await handlers[`${method} ${route}`]!(event);
  problems.push(...nonConformance(method, route, response));
  return response;
}

/** POST /tasks answers the task's view and a watch token (read access to that task, for a browser). */
const enqueueEcho = async (input: Record<string, unknown>) =>
  body<TaskView & { watchToken: string }>(await call("/tasks", { method: "POST", body: { type: "echo", input } }));

beforeAll(async () => {
  stack = await createTestStack();
  const deps = () => stack.deps;
  const listDeps = stack.deps;
  handlers = {
    // Protected routes run behind the real authorizer, with the stack's key unless a test sends its own.
    "POST /tasks": stack.authorized(createEnqueueHandler(deps)),
    "GET /tasks": stack.authorized(createListHandler(() => listDeps)),
    "GET /tasks/{id}": stack.authorized(createStatusHandler(deps)),
    "GET /tasks/{id}/events": stack.authorized(createEventsHandler(deps)),
    "GET /tasks/{id}/result": stack.authorized(createResultHandler(deps)),
    "POST /uploads": stack.authorized(createUploadsHandler(deps)),
    "GET /openapi.json": createOpenApiHandler(deps),
  };
  worker = stack.startWorker();
});

afterAll(async () => {
  await worker?.stop();
});

describe("GET /tasks/{id}", () => {
  it("sends an ETag and answers 304 to If-None-Match while the task is unchanged", async () => {
    const task = await enqueueEcho({ message: "etag" });
    const done = await eventually(async () => {
      const response = await call("/tasks/{id}", { id: task.id });
      return body<TaskView>(response).status === "succeeded" ? response : undefined;
    });
    const etag = String(done.headers?.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);

    const again = await call("/tasks/{id}", { id: task.id, headers: { "If-None-Match": etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    expect(again.headers?.etag).toBe(etag);

    const stale = await call("/tasks/{id}", { id: task.id, headers: { "if-none-match": '"something-else"' } });
    expect(stale.statusCode).toBe(200);
    expect(body<TaskView>(stale).id).toBe(task.id);
  });

  it("long polling answers as soon as the task changes, with few reads", async () => {
    const task = await enqueueEcho({ message: "long poll", sleepMs: 3000, steps: 3 });
    let etag = "";
    const latencies: number[] = [];
    const reads: number[] = [];
    const seen: string[] = [];
    for (let round = 0; round < 20; round++) {
      const response = await call("/tasks/{id}", { id: task.id, query: { wait: "10" }, headers: etag ? { "if-none-match": etag } : {} });
      const received = Date.now();
      expect(response.statusCode).toBe(200);
      const view = body<TaskView>(response);
      if (etag) {
        latencies.push(received - Date.parse(view.updatedAt));
        reads.push(Number(response.headers?.["x-offload-reads"]));
      }
      seen.push(`${view.status}:${view.progress?.percent ?? "-"}`);
      etag = String(response.headers?.etag);
      if (view.status === "succeeded") break;
    }
    expect(seen.at(-1)).toBe("succeeded:100");
    expect(seen.some((s) => s.startsWith("running:"))).toBe(true);
    // The figures docs/polling.md quotes.
    console.log(`long polling: ${latencies.length} changes seen, latency ms ${JSON.stringify(latencies)}, reads ${JSON.stringify(reads)}`);
    // Behaviour, not speed: each answer came well before the 10 s wait ran out (the figures live in docs/polling.md).
    expect(Math.max(...latencies)).toBeLessThan(5_000);
  });

  it("with nothing changing, answers 304 after the wait with the reads the interval implies", async () => {
    const task = await enqueueEcho({ message: "slow", sleepMs: 8000, steps: 1 });
    const running = await eventually(async () => {
      const response = await call("/tasks/{id}", { id: task.id });
      return body<TaskView>(response).status === "running" ? response : undefined;
    });
    const started = Date.now();
    const response = await call("/tasks/{id}", { id: task.id, query: { wait: "2" }, headers: { "if-none-match": String(running.headers?.etag) } });
    const elapsed = Date.now() - started;
    expect(response.statusCode).toBe(304);
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    const reads = Number(response.headers?.["x-offload-reads"]);
    console.log(`long polling: an unchanged 2 s wait took ${elapsed} ms and ${reads} GetItem calls`);
    expect(reads).toBeGreaterThanOrEqual(3);
    expect(reads).toBeLessThanOrEqual(8);
  });

  it("answers a finished task at once, whatever the wait", async () => {
    const task = await enqueueEcho({ message: "quick" });
    const done = await eventually(async () => {
      const response = await call("/tasks/{id}", { id: task.id });
      return body<TaskView>(response).status === "succeeded" ? response : undefined;
    });
    const started = Date.now();
    const response = await call("/tasks/{id}", { id: task.id, query: { wait: "20" }, headers: { "if-none-match": String(done.headers?.etag) } });
    expect(response.statusCode).toBe(304);
    // At once, not after the 20 s wait.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([["abc"], ["21"], ["-1"], ["1e3"]])("refuses wait=%s with 400 invalid_query", async (wait) => {
    const task = await enqueueEcho({});
    const response = await call("/tasks/{id}", { id: task.id, query: { wait } });
    expect(response.statusCode).toBe(400);
    expect(body<{ error: { code: string } }>(response).error.code).toBe("invalid_query");
  });

  it("answers 404 for unknown and malformed ids, waiting or not", async () => {
    for (const [id, query] of [["01ARZ3NDEKTSV4RRFFQ69G5FAV", {}], ["not-an-id", { wait: "5" }]] as const) {
      const response = await call("/tasks/{id}", { id, query });
      expect(response.statusCode).toBe(404);
    }
  });
});

describe("GET /tasks/{id}/events", () => {
  it("answers the task's history (none recorded yet in this branch's store) and 404 for an unknown task", async () => {
    // Scheduled ten minutes ahead, so the running worker cannot add a transition between the answer and the scan.
    const task = body<TaskView>(
      await call("/tasks", { method: "POST", body: { type: "echo", input: {}, delaySeconds: 600 } }),
    );
    const response = await call("/tasks/{id}/events", { id: task.id });
    expect(response.statusCode).toBe(200);
    const stored = (await stack.scanTasks()).find((item) => item.id === task.id);
    expect(body<{ id: string; events: unknown[] }>(response)).toEqual({ id: task.id, events: stored?.history ?? [] });
    expect((await call("/tasks/{id}/events", { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV" })).statusCode).toBe(404);
  });
});

describe("GET /tasks", () => {
  async function listAll(query: Record<string, string>) {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await call("/tasks", { query: { ...query, ...(cursor ? { cursor } : {}) } });
      expect(response.statusCode).toBe(200);
      const page = body<{ tasks: TaskView[]; nextCursor: string | null }>(response);
      ids.push(...page.tasks.map((t) => t.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    return { ids, pages };
  }

  it("pages through every task newest first, with status and type filters", async () => {
    // A thumbnail task whose upload never happened: it fails at its first attempt (source_not_found).
    const failing = body<TaskView>(
      await call("/tasks", {
        method: "POST",
        body: { type: "thumbnail", input: { source: `uploads/${TEST_TENANT}/none/missing.jpg` } },
      }),
    );
    await enqueueEcho({ message: "list" });
    await eventually(async () => body<TaskView>(await call("/tasks/{id}", { id: failing.id })).status === "failed", {
      what: "the thumbnail task to fail",
    });
    const all = (await stack.scanTasks()).map((item) => item as { id: string; type: string; status: string });

    const everything = await listAll({ limit: "2" });
    expect(everything.ids).toEqual(all.map((t) => t.id).sort().reverse());
    expect(everything.pages).toBeGreaterThan(2);

    const echoes = await listAll({ type: "echo", limit: "3" });
    expect(echoes.ids).toEqual(all.filter((t) => t.type === "echo").map((t) => t.id).sort().reverse());

    const failed = await listAll({ status: "failed" });
    expect(failed.ids).toEqual(all.filter((t) => t.status === "failed").map((t) => t.id).sort().reverse());
    expect(failed.ids).toContain(failing.id);
  });

  it.each([
    [{ limit: "0" }, "invalid_query"],
    [{ limit: "101" }, "invalid_query"],
    [{ limit: "ten" }, "invalid_query"],
    [{ status: "done" }, "invalid_query"],
    [{ type: "Not A Type" }, "invalid_query"],
    [{ type: "nope" }, "unknown_task_type"],
    [{ cursor: "%%%" }, "invalid_cursor"],
    [{ cursor: "bm90LWpzb24" }, "invalid_cursor"],
    [{ cursor: encodeCursor({ id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", tenant: "someone-else" }) }, "invalid_cursor"],
    [{ cursor: encodeCursor({ id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", tenant: TEST_TENANT }), status: "failed" }, "invalid_cursor"],
    [{ cursor: encodeCursor({ id: "x", tenant: TEST_TENANT }) }, "invalid_cursor"],
  ])("refuses %j with 400 %s", async (query, code) => {
    const response = await call("/tasks", { query: query as Record<string, string> });
    expect(response.statusCode).toBe(400);
    expect(body<{ error: { code: string } }>(response).error.code).toBe(code);
  });
});

describe("GET /openapi.json", () => {
  it("describes exactly the HTTP routes serverless.yml deploys", async () => {
    const response = await call("/openapi.json", {});
    expect(response.statusCode).toBe(200);
    const served = body<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(response);
    expect(served.openapi).toBe("3.1.0");
    const documented = Object.entries(served.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const config = JSON.parse(inject("serverlessConfig")) as { functions: Record<string, { events?: { httpApi?: { method: string; path: string } }[] }> };
    const deployed = Object.values(config.functions).flatMap((fn) =>
      (fn.events ?? []).flatMap((e) => (e.httpApi ? [`${e.httpApi.method.toUpperCase()} ${e.httpApi.path}`] : [])),
    );
    expect(documented.sort()).toEqual(deployed.sort());
    expect(apiDocument.paths["/tasks/{id}"]?.get).toBeDefined();
  });

  it("documents the error answers of enqueue, uploads and result", async () => {
    await call("/tasks", { method: "POST", body: { type: "nope" } });
    await call("/tasks", { method: "POST", body: { type: "echo", input: { steps: 0 } } });
    await call("/tasks", { method: "POST", rawBody: "{}", headers: { "content-type": "text/plain" } });
    await call("/tasks", { method: "POST", rawBody: "x".repeat(70_000), headers: { "content-type": "application/json" } });
    await call("/uploads", { method: "POST", body: { contentType: "image/jpeg", bytes: 10 } });
    await call("/uploads", { method: "POST", body: { contentType: "text/plain", bytes: 10 } });
    await call("/uploads", { method: "POST", body: { contentType: "image/jpeg", bytes: 1e9 } });
    const queued = await enqueueEcho({ sleepMs: 2000 });
    expect((await call("/tasks/{id}/result", { id: queued.id })).statusCode).toBe(409);
    expect((await call("/tasks/{id}/result", { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV" })).statusCode).toBe(404);
  });

  it("documents the answers to a refused or too weak credential on every protected route", async () => {
    const task = await enqueueEcho({});
    const readOnly = { authorization: `Bearer ${await stack.createKey(TEST_TENANT, ["tasks:read"])}` };
    const refused = { authorization: "Bearer ofl_sk_not-a-key" };
    const watchToken = { authorization: `Bearer ${task.watchToken}` };
    const protectedCalls: [string, Parameters<typeof call>[1]][] = [
      ["/tasks", { method: "POST", body: { type: "echo", input: {} } }],
      ["/tasks", {}],
      ["/tasks/{id}", { id: task.id }],
      ["/tasks/{id}/events", { id: task.id }],
      ["/tasks/{id}/result", { id: task.id }],
      ["/uploads", { method: "POST", body: { contentType: "image/jpeg", bytes: 10 } }],
    ];

    for (const [route, options] of protectedCalls) {
      const response = await call(route, { ...options, headers: refused });
      expect([route, response.statusCode, body<{ error: { code: string } }>(response).error.code]).toEqual([
        route,
        401,
        "unauthorized",
      ]);
      expect(response.headers?.["www-authenticate"]).toBe('Bearer realm="offload"');
    }
    // A read-only key may read but not write; a watch token may read its own task only.
    for (const [route, options] of protectedCalls.filter(([, { method }]) => method === "POST")) {
      for (const headers of [readOnly, watchToken]) {
        const response = await call(route, { ...options, headers });
        expect([route, response.statusCode, body<{ error: { code: string } }>(response).error.code]).toEqual([
          route,
          403,
          "forbidden",
        ]);
      }
    }
    expect((await call("/tasks/{id}", { id: task.id, headers: readOnly })).statusCode).toBe(200);
    expect((await call("/tasks/{id}", { id: task.id, headers: watchToken })).statusCode).toBe(200);
    expect((await call("/tasks/{id}/events", { id: task.id, headers: watchToken })).statusCode).toBe(200);
    expect((await call("/tasks/{id}", { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV", headers: watchToken })).statusCode).toBe(401);
  });

  it("answers 401 to a request that reaches a protected route without the authorizer's verdict", async () => {
    const response = await createStatusHandler(() => stack.deps)(
      httpEvent({ method: "GET", path: "/tasks/01ARZ3NDEKTSV4RRFFQ69G5FAV", pathParameters: { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV" } }),
    );
    problems.push(...nonConformance("GET", "/tasks/{id}", response));

    expect(response.statusCode).toBe(401);
    expect(body<{ error: { code: string } }>(response).error.code).toBe("unauthorized");
  });

  it("every response of this file conforms to the document", () => {
    expect(problems).toEqual([]);
  });
});
