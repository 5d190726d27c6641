/**
 * The edges only the local HTTP layer can show, through a real `npm start` (local gateway → serverless-offline →
 * handlers): wrong methods, unknown routes, bodies with no content type, JSON bodies serverless-offline would drop or
 * unwrap (`0`, `false`, `null`, `""`, `"{…}"`), bodies over API Gateway's 10 MB. Every answer is JSON in the API's
 * error shape and conforms to the OpenAPI document the stack serves at GET /openapi.json; nothing is redriven or
 * created by any of them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../support/app.ts";
import { type ApiDocument, conformanceChecker } from "../support/openapi.ts";
import { eventually } from "../support/wait.ts";

let app: RunningApp;
let checker: ReturnType<typeof conformanceChecker>;
const problems: string[] = [];
const { AWS_ENDPOINT_URL: _ignored, OFFLOAD_API_KEY: _none, ...env } = process.env;

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly error?: { code: string; message: string; details?: unknown };
}

/** Sends a request as curl would (bytes as given; a content type only if given) and checks the answer. */
async function send(method: string, path: string, options: { body?: string | Uint8Array; headers?: Record<string, string>; key?: boolean } = {}): Promise<Answer> {
  const { body, headers = {}, key = true } = options;
  const response = await fetch(`${app.api}${path}`, {
    method,
    redirect: "manual",
    headers: { ...(key ? { authorization: `Bearer ${app.apiKey}` } : {}), ...headers },
    // Bytes: fetch would give a string body a content type of its own.
    ...(body === undefined ? {} : { body: typeof body === "string" ? new TextEncoder().encode(body) : body }),
  });
  const text = await response.text();
  problems.push(...checker.check(method, path, { statusCode: response.status, body: text }));
  const parsed = /json/.test(response.headers.get("content-type") ?? "") ? (JSON.parse(text) as { error?: Answer["error"] }) : {};
  return { status: response.status, headers: response.headers, text, ...(parsed.error ? { error: parsed.error } : {}) };
}

const json = { "content-type": "application/json" };

async function taskStatus(id: string): Promise<string> {
  const answer = await send("GET", `/tasks/${id}`);
  return (JSON.parse(answer.text) as { status: string }).status;
}

let failedId: string;

beforeAll(async () => {
  app = await startApp(env);
  const served = await fetch(`${app.api}/openapi.json`);
  checker = conformanceChecker((await served.json()) as ApiDocument);
  const created = await send("POST", "/tasks", { headers: json, body: JSON.stringify({ type: "echo", input: { failPermanently: true } }) });
  expect(created.status).toBe(202);
  failedId = (JSON.parse(created.text) as { id: string }).id;
  await eventually(async () => (await taskStatus(failedId)) === "failed", { what: "the echo task to fail", timeoutMs: 30_000 });
}, 150_000);

afterAll(async () => {
  await app?.stop();
});

describe("npm start at the edges", () => {
  it.each([
    ["PUT", "/tasks", ["GET", "POST"]],
    ["PATCH", "/tasks/01ARZ3NDEKTSV4RRFFQ69G5FAV", ["DELETE", "GET"]],
    ["GET", "/tasks/01ARZ3NDEKTSV4RRFFQ69G5FAV/cancel", ["POST"]],
    ["GET", "/uploads", ["POST"]],
    ["POST", "/openapi.json", ["GET"]],
  ])("answers a wrong method (%s %s) with 405, Allow and the API's error shape", async (method, path, allowed) => {
    for (const key of [true, false]) {
      const answer = await send(method, path, { key, ...(method === "GET" ? {} : { headers: json, body: "{}" }) });

      expect([answer.status, answer.error?.code]).toEqual([405, "method_not_allowed"]);
      expect(answer.headers.get("allow")).toBe(allowed.join(", "));
      expect(answer.error?.details).toEqual({ method, path, allowed });
    }
  });

  it.each([
    ["GET", "/nope"],
    ["POST", "/tasks/01ARZ3NDEKTSV4RRFFQ69G5FAV/retry"],
    ["GET", "/tasks/a/b/c/d"],
    ["DELETE", "/uploads/x"],
  ])("answers an unknown route (%s %s) with 404 route_not_found", async (method, path) => {
    const answer = await send(method, path);

    expect([answer.status, answer.error?.code]).toEqual([404, "route_not_found"]);
    expect(answer.error?.details).toEqual({ method, path });
  });

  it.each([["/tasks"], ["/uploads"], ["/tasks/redrive"]])(
    "answers POST %s with a body but no content type with 415 (serverless-offline would have called it JSON)",
    async (path) => {
      const body = path === "/uploads" ? '{"contentType":"image/jpeg","bytes":10}' : '{"type":"echo","input":{}}';
      const answer = await send("POST", path, { body: path === "/tasks/redrive" ? "{}" : body });

      expect([answer.status, answer.error?.code]).toEqual([415, "unsupported_media_type"]);
      expect(answer.error?.message).toContain('(got "none")');
    },
  );

  const falsy = ["0", "false", "null", '""'];
  const notObjects = [...falsy, '"x"', "[]", JSON.stringify('{"type":"echo","input":{}}')];
  it.each([["/tasks/redrive"], ["/tasks"], ["/uploads"]])(
    "answers POST %s with each JSON value that is not an object (0 false null \"\" \"x\" [] \"{…}\") with 400",
    async (path) => {
      for (const body of notObjects) {
        const answer = await send("POST", path, { headers: json, body });

        expect([body, answer.status, answer.error?.code]).toEqual([body, 400, "invalid_request"]);
        expect(answer.error?.message).toMatch(/^The body must be a JSON object; got /);
      }
      const empty = await send("POST", path, { headers: json, body: "" });
      expect([empty.status, empty.error?.code]).toEqual([400, "invalid_json"]);
    },
  );

  it("answers bodies over 64 KiB and over API Gateway's 10 MB with 413", async () => {
    const over64k = await send("POST", "/tasks/redrive", { headers: json, body: JSON.stringify({ type: "x".repeat(70_000) }) });
    const over10m = await send("POST", "/tasks/redrive", { headers: json, body: new Uint8Array(10 * 1024 * 1024 + 1).fill(0x20) });

    expect([over64k.status, over64k.error?.code]).toEqual([413, "body_too_large"]);
    expect([over10m.status, over10m.error?.code]).toEqual([413, "body_too_large"]);
  });

  it("none of it redrove or created a task; then {} redrives the failed one", async () => {
    expect(await taskStatus(failedId)).toBe("failed");
    const listed = JSON.parse((await send("GET", "/tasks")).text) as { tasks: { id: string }[] };
    expect(listed.tasks.map((task) => task.id)).toEqual([failedId]);

    const redriven = await send("POST", "/tasks/redrive", { headers: json, body: "{}" });

    expect(redriven.status).toBe(202);
    expect((JSON.parse(redriven.text) as { ids: string[] }).ids).toEqual([failedId]);
  });

  it("every answer conformed to the served OpenAPI document", () => {
    expect(problems).toEqual([]);
  });
});
