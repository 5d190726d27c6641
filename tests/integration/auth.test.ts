/**
 * Credentials at the edge, through the real authorizer and the real handlers against the emulator: missing,
 * malformed, unknown, revoked, expired and wrong-scope keys; hundreds of hostile Authorization headers; what the key
 * table holds; watch tokens.
 */
import { createHash } from "node:crypto";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../lib/domain/api-key.ts";
import type { TaskView } from "../../lib/domain/task.ts";
import { mintWatchToken } from "../../lib/domain/watch-token.ts";
import { createCancelHandler } from "../../lib/handlers/task-actions.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import type { HttpResponse } from "../../lib/handlers/http.ts";
import { createListHandler } from "../../lib/handlers/list.ts";
import { createResultHandler } from "../../lib/handlers/result.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import { createUploadsHandler } from "../../lib/handlers/uploads.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { createTestStack, TEST_TENANT, type TestStack } from "../support/stack.ts";
import { body } from "../support/tasks.ts";

type Route = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;
let stack: TestStack;
let enqueue: Route;
let list: Route;
let status: Route;
let cancel: Route;
let result: Route;
let uploads: Route;

const withAuth = (event: APIGatewayProxyEventV2, authorization: string | undefined): APIGatewayProxyEventV2 => ({
  ...event,
  // An empty header stands for "no header" (stack.authorized adds the stack's key only when there is none at all).
  headers: { ...event.headers, authorization: authorization ?? "" },
});
const listRequest = (authorization?: string) => withAuth(httpEvent({ method: "GET", path: "/tasks" }), authorization);
const enqueueRequest = (authorization?: string) =>
  withAuth(jsonRequest("/tasks", { type: "echo", input: { message: "hi" } }), authorization);
const statusRequest = (id: string, authorization?: string) =>
  withAuth(httpEvent({ method: "GET", path: `/tasks/${id}`, pathParameters: { id } }), authorization);

function expectError(response: HttpResponse, status: number, code: string): void {
  expect(response.statusCode).toBe(status);
  expect(response.headers?.["content-type"]).toMatch(/^application\/json/);
  const parsed = body<{ error: { code: string; message: string } }>(response);
  expect(parsed.error.code).toBe(code);
  expect(parsed.error.message.length).toBeGreaterThan(5);
}

beforeAll(async () => {
  stack = await createTestStack();
  const deps = () => stack.deps;
  enqueue = stack.authorized(createEnqueueHandler(deps));
  list = stack.authorized(createListHandler(deps));
  status = stack.authorized(createStatusHandler(deps));
  cancel = stack.authorized(createCancelHandler(deps));
  result = stack.authorized(createResultHandler(deps));
  uploads = stack.authorized(createUploadsHandler(deps));
});

describe("API keys", () => {
  it("a request without a key is 401 on every protected route, with the API's error shape", async () => {
    const id = "01JD0000000000000000000000";
    const answers = await Promise.all([
      list(listRequest()),
      enqueue(enqueueRequest()),
      status(statusRequest(id)),
      cancel(withAuth(httpEvent({ method: "POST", path: `/tasks/${id}/cancel`, pathParameters: { id } }), undefined)),
      result(withAuth(httpEvent({ method: "GET", path: `/tasks/${id}/result`, pathParameters: { id } }), undefined)),
      uploads(withAuth(jsonRequest("/uploads", { contentType: "image/png", bytes: 10 }), undefined)),
    ]);
    for (const answer of answers) {
      expectError(answer, 401, "unauthorized");
      expect(answer.headers?.["www-authenticate"]).toMatch(/^Bearer/);
    }
    expect((await stack.scanTasks()).filter((item) => !String(item.id).startsWith("idempotency#"))).toHaveLength(0);
  });

  it("malformed, unknown, revoked and expired keys are 401; the right key works", async () => {
    const { key } = { key: stack.apiKey };
    const wrongSecret = `${key.slice(0, 16)}${"A".repeat(43)}`;
    const unknown = `ofl_sk_zzzzzzzz_${"B".repeat(43)}`;
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer not-a-key", key, `Bearer ${wrongSecret}`, `Bearer ${unknown}`]) {
      expectError(await list(listRequest(authorization)), 401, "unauthorized");
    }
    expect((await list(listRequest(`Bearer ${key}`))).statusCode).toBe(200);
    expect((await list(listRequest(`bearer   ${key}  `))).statusCode).toBe(200);

    const revoked = await stack.createKey(TEST_TENANT);
    expect((await list(listRequest(`Bearer ${revoked}`))).statusCode).toBe(200);
    await stack.deps.keys.revoke(revoked.slice(7, 15), new Date());
    const refused = await list(listRequest(`Bearer ${revoked}`));
    expectError(refused, 401, "unauthorized");
    expect(body<{ error: { message: string } }>(refused).error.message).toMatch(/revoked/);

    const expiredPrefix = "expired2";
    const expiredKey = `ofl_sk_${expiredPrefix}_${"C".repeat(43)}`;
    await stack.deps.keys.create({
      prefix: expiredPrefix,
      hash: hashApiKey(expiredKey),
      tenant: TEST_TENANT,
      scopes: ["tasks:read", "tasks:write"],
      name: "expired",
      createdAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const expired = await list(listRequest(`Bearer ${expiredKey}`));
    expectError(expired, 401, "unauthorized");
    expect(body<{ error: { message: string } }>(expired).error.message).toMatch(/expired/);
  });

  it("a key without the route's scope is 403 and changes nothing; admin may do everything", async () => {
    const reader = await stack.createKey(TEST_TENANT, ["tasks:read"]);
    const writer = await stack.createKey(TEST_TENANT, ["tasks:write"]);
    const admin = await stack.createKey(TEST_TENANT, ["admin"]);
    const before = (await stack.scanTasks()).length;
    expectError(await enqueue(enqueueRequest(`Bearer ${reader}`)), 403, "forbidden");
    expectError(await uploads(withAuth(jsonRequest("/uploads", { contentType: "image/png", bytes: 10 }), `Bearer ${reader}`)), 403, "forbidden");
    expect((await stack.scanTasks()).length).toBe(before);
    expect((await list(listRequest(`Bearer ${reader}`))).statusCode).toBe(200);
    expectError(await list(listRequest(`Bearer ${writer}`)), 403, "forbidden");
    const created = await enqueue(enqueueRequest(`Bearer ${writer}`));
    expect(created.statusCode).toBe(202);
    expect((await enqueue(enqueueRequest(`Bearer ${admin}`))).statusCode).toBe(202);
    expect((await list(listRequest(`Bearer ${admin}`))).statusCode).toBe(200);
  });

  it("answers at least 500 hostile Authorization headers with 401 JSON, never a 5xx", async () => {
    const key = stack.apiKey;
    const hostile = new Set<string>([
      "x".repeat(100_000),
      `Bearer ${"k".repeat(10_000)}`,
      `Bearer ${key}${"\u0000"}`,
      `Bearer \u0000${key}`,
      `Bearer ${key} ${key}`,
      `Bearer\t\t`,
      "Bearer ofl_sk_",
      "Bearer ofl_wt_",
      "Bearer ofl_wt_.",
      `Bearer ofl_wt_${"A".repeat(200)}.${"B".repeat(43)}`,
      `Bearer ofl_wt_${Buffer.from("../../x:y:z").toString("base64url")}.${"B".repeat(43)}`,
      "Bearer 🙂",
      "Bearer \r\nx-injected: 1",
      "Negotiate abc",
      "Digest username=x",
      "AWS4-HMAC-SHA256 Credential=x",
      "null",
      "undefined",
      "{}",
      '{"tenant":"other"}',
    ]);
    const schemes = ["Bearer", "bearer", "BEARER", "Basic", "Token", "", "Bearer:", "Bearer=", "OFL"];
    const payloads = [
      key,
      key.toUpperCase(),
      key.slice(0, -1),
      `${key}=`,
      key.replace("ofl_sk_", "ofl_sk__"),
      `ofl_sk_${key.slice(7, 15).toUpperCase()}_${key.slice(16)}`,
      encodeURIComponent(key),
      Buffer.from(key).toString("base64"),
      `"${key}"`,
      "%00",
      "\\u0000",
      "'; DROP TABLE keys; --",
      "$" + "{jndi:ldap://x}", // a Log4Shell probe, as scanners send it
      `ofl_sk_abcdefgh_${"/".repeat(43)}`,
    ];
    const spaces = [" ", "  ", "\t", " ".repeat(500), "\u00a0", "\u2003"];
    for (const scheme of schemes) for (const payload of payloads) for (const space of spaces) hostile.add(`${scheme}${space}${payload}`);
    for (let i = 0; i < 40; i++) hostile.add(`Bearer ${String.fromCharCode(...Array.from({ length: 60 }, (_, j) => (i * 61 + j * 7) % 256))}`);
    // Only these are the one real key, sent properly.
    const accepted = new Set([`Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer  ${key}`, `Bearer\t${key}`, `bearer  ${key}`, `BEARER  ${key}`, `bearer\t${key}`, `BEARER\t${key}`, `Bearer ${" ".repeat(499)}${key}`, `bearer ${" ".repeat(499)}${key}`, `BEARER ${" ".repeat(499)}${key}`].map((h) => h.replace(/ {500}/, " ".repeat(500))));
    expect(hostile.size).toBeGreaterThanOrEqual(500);
    const headers = [...hostile];
    const statuses = new Map<number, number>();
    for (let i = 0; i < headers.length; i += 50) {
      const answers = await Promise.all(headers.slice(i, i + 50).map((header) => list(listRequest(header))));
      answers.forEach((answer, j) => {
        const header = headers[i + j]!;
        statuses.set(answer.statusCode ?? 0, (statuses.get(answer.statusCode ?? 0) ?? 0) + 1);
        expect(answer.statusCode, JSON.stringify(header.slice(0, 80))).toBeLessThan(500);
        if (answer.statusCode !== 200) expectError(answer, 401, "unauthorized");
        else expect(accepted.has(header) || header.length > 500, JSON.stringify(header.slice(0, 80))).toBe(true);
      });
    }
    expect(statuses.get(401)).toBeGreaterThan(450);
  });

  it("the key table holds hashes, never a key or its secret; use is recorded at most once a minute", async () => {
    const key = await stack.createKey("scanme");
    expect((await list(listRequest(`Bearer ${key}`))).statusCode).toBe(200);
    const { Items = [] } = await stack.clients.dynamo.send(new ScanCommand({ TableName: stack.config.apiKeysTable }));
    const everything = JSON.stringify(Items);
    for (const known of [key, stack.apiKey]) {
      expect(everything).not.toContain(known.slice(16));
      expect(everything).not.toContain(known);
    }
    const item = Items.find((candidate) => candidate.tenant === "scanme")!;
    expect(item.hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(Object.keys(item).sort()).toEqual(["createdAt", "hash", "lastUsedAt", "name", "prefix", "scopes", "tenant"]);
    const firstUse = item.lastUsedAt;
    expect((await list(listRequest(`Bearer ${key}`))).statusCode).toBe(200);
    expect((await stack.deps.keys.get(String(item.prefix)))?.lastUsedAt).toBe(firstUse);
  });
});

describe("watch tokens", () => {
  let task: TaskView & { watchToken: string };
  let other: TaskView & { watchToken: string };

  beforeAll(async () => {
    task = body(await enqueue(jsonRequest("/tasks", { type: "echo", input: { message: "watch me" } })));
    other = body(await enqueue(jsonRequest("/tasks", { type: "echo", input: { message: "not mine" } })));
  });

  it("come with a new task and with GET /tasks/{id} for a key holder", async () => {
    expect(task.watchToken).toMatch(/^ofl_wt_/);
    const viewed = body<{ watchToken?: string }>(await status(statusRequest(task.id, `Bearer ${stack.apiKey}`)));
    expect(viewed.watchToken).toMatch(/^ofl_wt_/);
  });

  it("read their own task, as a Bearer header or ?token=, and are never renewed by themselves", async () => {
    const read = await status(statusRequest(task.id, `Bearer ${task.watchToken}`));
    expect(read.statusCode).toBe(200);
    expect(body<TaskView>(read).id).toBe(task.id);
    expect(body<{ watchToken?: string }>(read).watchToken).toBeUndefined();
    const viaQuery = await result(
      withAuth(
        httpEvent({
          method: "GET",
          path: `/tasks/${task.id}/result`,
          pathParameters: { id: task.id },
          queryStringParameters: { token: task.watchToken },
        }),
        undefined,
      ),
    );
    // Authorized (the task has no file yet): not 401.
    expect(viaQuery.statusCode).toBe(409);
  });

  it("are 401 on another task, when tampered with or expired, and 403 on anything but reading", async () => {
    expectError(await status(statusRequest(other.id, `Bearer ${task.watchToken}`)), 401, "unauthorized");
    const tampered = task.watchToken.replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    expectError(await status(statusRequest(task.id, `Bearer ${tampered}`)), 401, "unauthorized");
    const expired = mintWatchToken(
      { tenant: TEST_TENANT, taskId: task.id, expiresAt: Math.floor(Date.now() / 1000) - 1 },
      stack.config.watchTokenSecret!,
    );
    expectError(await status(statusRequest(task.id, `Bearer ${expired}`)), 401, "unauthorized");
    const forgedTenant = mintWatchToken(
      { tenant: TEST_TENANT, taskId: task.id, expiresAt: Math.floor(Date.now() / 1000) + 60 },
      "not-the-stack-secret",
    );
    expectError(await status(statusRequest(task.id, `Bearer ${forgedTenant}`)), 401, "unauthorized");
    expectError(await list(listRequest(`Bearer ${task.watchToken}`)), 403, "forbidden");
    const cancelled = await cancel(
      withAuth(httpEvent({ method: "POST", path: `/tasks/${task.id}/cancel`, pathParameters: { id: task.id } }), `Bearer ${task.watchToken}`),
    );
    expectError(cancelled, 403, "forbidden");
    expect((await stack.deps.store.get(task.id, new Date()))?.status).not.toBe("cancelled");
    // An API key is never accepted in the URL.
    const keyInUrl = await result(
      withAuth(
        httpEvent({ method: "GET", path: `/tasks/${task.id}/result`, pathParameters: { id: task.id }, queryStringParameters: { token: stack.apiKey } }),
        undefined,
      ),
    );
    expectError(keyInUrl, 401, "unauthorized");
  });
});
