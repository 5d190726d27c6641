/**
 * The local gateway (infra/local-gateway.ts) against a fake serverless-offline: a plain http server that answers as
 * serverless-offline does (Hapi Boom errors, its route list, Lambda error bodies, CORS headers echoed to any origin)
 * and, on other paths, as the API's handlers do.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  gatewaySettings,
  startLocalGateway,
  type CorsSettings,
  type HttpRoute,
  type LocalGateway,
} from "../../infra/local-gateway.ts";
import type { ServerlessConfig } from "../../infra/serverless-config.ts";
import { LOCAL_CONTENT_TYPE_HEADER } from "../../lib/handlers/http.ts";
import { freePort } from "../support/app.ts";
import { eventually } from "../support/wait.ts";

const ROUTES: HttpRoute[] = [
  { method: "GET", path: "/tasks" },
  { method: "POST", path: "/tasks" },
  { method: "GET", path: "/tasks/{id}" },
  { method: "DELETE", path: "/tasks/{id}" },
  { method: "GET", path: "/tasks/{id}/result" },
  { method: "POST", path: "/uploads" },
  { method: "POST", path: "/echo" },
];
const APP = "https://app.example";
const EVIL = "https://evil.example";
const CORS: CorsSettings = {
  allowedOrigins: [APP],
  allowedHeaders: ["authorization", "content-type"],
  allowedMethods: ["GET", "POST", "DELETE"],
  exposedResponseHeaders: ["etag", "location"],
  allowCredentials: false,
  maxAge: 600,
};
const BIG_JSON = JSON.stringify({
  rows: Array.from({ length: 60_000 }, (_, i) => ({ i, note: `row ${i} ${"x".repeat(40)}` })),
});

// ---- the fake serverless-offline ----

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  bytes: number;
}
const seen: Seen[] = [];
let releaseStream: () => void = () => undefined;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const boom = (statusCode: number, error: string, message: string) => ({ statusCode, error, message });

const FAKE_ANSWERS: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "GET /tasks/T1": (req, res) => {
    if (req.headers["if-none-match"] === '"v1"') {
      res.writeHead(304, { etag: '"v1"', "cache-control": "no-store" });
      res.end();
      return;
    }
    send(res, 200, { id: "T1", status: "queued", error: null }, { etag: '"v1"', "set-cookie": ["a=1", "b=2"] });
  },
  "POST /tasks": (_req, res) => send(res, 202, { id: "T2" }, { location: "/tasks/T2" }),
  "GET /tasks/T1/result": (_req, res) => {
    res.writeHead(302, { location: "https://bucket.example/results/T1/out.csv?sig=1" });
    res.end();
  },
  "GET /tasks/missing": (_req, res) =>
    send(res, 404, { error: { code: "not_found", message: "No task missing.", details: { id: "missing" } } }),
  "GET /tasks/fails": (_req, res) =>
    send(res, 500, {
      error: { code: "internal_error", message: "Something went wrong on our side; it has been logged." },
    }),
  "GET /tasks/nokey": (_req, res) =>
    send(res, 401, boom(401, "Unauthorized", "User is not authorized to access this resource")),
  "GET /tasks/badkey": (_req, res) =>
    send(res, 403, boom(403, "Forbidden", "User is not authorized to access this resource")),
  "POST /uploads": (req, res) => {
    req.resume();
    req.on("end", () =>
      send(
        res,
        413,
        boom(413, "Request Entity Too Large", "Payload content length greater than maximum allowed: 10485760"),
      ),
    );
  },
  "GET /tasks/slow": (_req, res) => send(res, 200, { errorMessage: "[504] - Lambda timeout." }),
  "GET /tasks/crash": (_req, res) =>
    send(res, 502, {
      errorMessage: "x is not a function",
      errorType: "TypeError",
      stackTrace: ["at handler (/src/x.ts:1)"],
    }),
  "GET /tasks/crash-text": (_req, res) => {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end("Bad Gateway");
  },
  "GET /tasks/big": (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }); // chunked: no content-length
    for (let i = 0; i < BIG_JSON.length; i += 50_000) res.write(BIG_JSON.slice(i, i + 50_000));
    res.end();
  },
  "GET /tasks/stream": (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write(`[${'"x",'.repeat(40_000)}`);
    new Promise<void>((resolve) => (releaseStream = resolve)).then(() => res.end('"end"]'));
  },
  "POST /echo": (req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    req.pipe(res);
  },
};

/** serverless-offline's answer to a path it has no route for: a 404 listing every route, gzipped as Hapi does. */
function routeNotFound(req: IncomingMessage, res: ServerResponse) {
  const body = JSON.stringify({
    currentRoute: `${req.method?.toLowerCase()} - ${req.url}`,
    error: "Serverless-offline: route not found.",
    existingRoutes: ROUTES.map((r) => `${r.method.toLowerCase()} - ${r.path}`),
    statusCode: 404,
  });
  if (!String(req.headers["accept-encoding"]).includes("gzip")) return send(res, 404, body);
  res.writeHead(404, { "content-type": "application/json; charset=utf-8", "content-encoding": "gzip" });
  res.end(gzipSync(body));
}

function fakeOffline(req: IncomingMessage, res: ServerResponse) {
  const entry: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, bytes: 0 };
  seen.push(entry);
  req.on("data", (chunk: Buffer) => (entry.bytes += chunk.length));
  // serverless-offline without a CORS configuration: any origin, with credentials.
  if (req.headers.origin) {
    res.setHeader("access-control-allow-origin", req.headers.origin);
    res.setHeader("access-control-allow-credentials", "true");
  }
  const answer = FAKE_ANSWERS[`${req.method} ${new URL(req.url ?? "/", "http://x").pathname}`] ?? routeNotFound;
  answer(req, res);
}

// ---- setup ----

let upstream: Server;
let plain: LocalGateway;
let withCors: LocalGateway;

beforeAll(async () => {
  upstream = createServer(fakeOffline);
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;
  plain = await startLocalGateway({ port: 0, upstreamPort, routes: ROUTES });
  withCors = await startLocalGateway({ port: 0, upstreamPort, routes: ROUTES, cors: CORS });
});

afterAll(async () => {
  await plain?.stop();
  await withCors?.stop();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

async function call(gateway: LocalGateway, path: string, init: RequestInit = {}) {
  const response = await fetch(`${gateway.url}${path}`, { redirect: "manual", ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const errorJson = (code: string, message: string, details?: unknown) =>
  JSON.stringify({ error: { code, message, ...(details === undefined ? {} : { details }) } });

const corsHeaderNames = (headers: Headers) => [...headers.keys()].filter((name) => name.startsWith("access-control-"));

// ---- tests ----

describe("requests on their way to serverless-offline", () => {
  it("lose every sls-offline-* header, whatever its case, and keep everything else", async () => {
    const response = await call(plain, "/tasks/T1?wait=5&q=a%20b", {
      headers: {
        authorization: "Bearer ofl_sk_test",
        "sls-offline-authorizer-override": '{"tenant":"someone-else"}',
        "SLS-Offline-Anything": "x",
        "x-custom": "kept",
      },
    });

    expect(response.status).toBe(200);
    const request = seen.findLast((s) => s.url === "/tasks/T1?wait=5&q=a%20b");
    expect(request?.method).toBe("GET");
    expect(Object.keys(request?.headers ?? {}).filter((name) => name.startsWith("sls-offline"))).toEqual([]);
    expect(request?.headers.authorization).toBe("Bearer ofl_sk_test");
    expect(request?.headers["x-custom"]).toBe("kept");
    expect(request?.headers.host).toBe(new URL(plain.url).host);
  });

  it("carry a body past serverless-offline's JSON parsing: as octet-stream, with its real content type (or none) told", async () => {
    // Bytes, not a string: fetch would give a string body a content type of its own.
    const send = (path: string, body: string | undefined, headers: Record<string, string>) =>
      call(plain, path, { method: "POST", headers, ...(body === undefined ? {} : { body: new TextEncoder().encode(body) }) });

    await send("/echo?typed", "0", { "content-type": "application/json", [LOCAL_CONTENT_TYPE_HEADER]: '"text/plain"' });
    await send("/echo?untyped", "0", {});
    await send("/echo?empty", undefined, { "content-type": "application/json", [LOCAL_CONTENT_TYPE_HEADER]: '"x"' });

    const typed = seen.findLast((s) => s.url === "/echo?typed");
    expect(typed?.headers["content-type"]).toBe("application/octet-stream");
    expect(typed?.headers[LOCAL_CONTENT_TYPE_HEADER]).toBe('"application/json"'); // the client's own copy is gone
    expect(typed?.bytes).toBe(1);
    const untyped = seen.findLast((s) => s.url === "/echo?untyped");
    expect(untyped?.headers["content-type"]).toBe("application/octet-stream");
    expect(untyped?.headers[LOCAL_CONTENT_TYPE_HEADER]).toBe("null");
    // No body: nothing for serverless-offline to parse, so the headers go on as they came (but the spoofed one).
    const empty = seen.findLast((s) => s.url === "/echo?empty");
    expect(empty?.headers["content-type"]).toBe("application/json");
    expect(empty?.headers[LOCAL_CONTENT_TYPE_HEADER]).toBeUndefined();
  });

  it("stream the body: serverless-offline has the first part before the client sends the rest", async () => {
    const first = randomBytes(256 * 1024);
    const rest = randomBytes(3 * 1024 * 1024);
    const { port } = new URL(plain.url);
    const answer = new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/echo?streamed=1" }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.write(first);
      eventually(async () => (seen.find((s) => s.url === "/echo?streamed=1")?.bytes ?? 0) >= first.length, {
        what: "the first part to reach serverless-offline",
      }).then(() => req.end(rest), reject);
    });

    const { status, body } = await answer;

    expect(status).toBe(200);
    expect(body.length).toBe(first.length + rest.length);
    expect(body.equals(Buffer.concat([first, rest]))).toBe(true);
  });
});

describe("the handlers' answers", () => {
  it("pass through unchanged: status, body, etag and every set-cookie", async () => {
    const response = await call(plain, "/tasks/T1");

    expect(response.status).toBe(200);
    expect(response.text).toBe('{"id":"T1","status":"queued","error":null}');
    expect(response.headers.get("etag")).toBe('"v1"');
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("pass 202 + location, 302 + location and 304 through", async () => {
    const created = await call(plain, "/tasks", {
      method: "POST",
      body: "{}",
      headers: { "content-type": "application/json" },
    });
    const redirect = await call(plain, "/tasks/T1/result");
    const notModified = await call(plain, "/tasks/T1", { headers: { "if-none-match": '"v1"' } });

    expect([created.status, created.headers.get("location"), created.text]).toEqual([202, "/tasks/T2", '{"id":"T2"}']);
    expect([redirect.status, redirect.headers.get("location")]).toEqual([
      302,
      "https://bucket.example/results/T1/out.csv?sig=1",
    ]);
    expect([notModified.status, notModified.headers.get("etag"), notModified.text]).toEqual([304, '"v1"', ""]);
  });

  it("pass the API's own errors through as they are, 4xx and 5xx", async () => {
    const missing = await call(plain, "/tasks/missing");
    const failed = await call(plain, "/tasks/fails");

    expect(missing.status).toBe(404);
    expect(missing.text).toBe(errorJson("not_found", "No task missing.", { id: "missing" }));
    expect(failed.status).toBe(500);
    expect(failed.text).toBe(errorJson("internal_error", "Something went wrong on our side; it has been logged."));
  });

  it("stream bodies of several MB through intact, both ways", async () => {
    const upload = randomBytes(6 * 1024 * 1024);

    const echoed = await fetch(`${plain.url}/echo`, { method: "POST", body: upload });
    const big = await call(plain, "/tasks/big");

    expect(echoed.status).toBe(200);
    const bytes = Buffer.from(await echoed.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(createHash("sha256").update(upload).digest("hex"));
    expect(big.status).toBe(200);
    expect(big.text.length).toBe(BIG_JSON.length);
    expect(big.text === BIG_JSON).toBe(true);
  });

  it("stream a JSON answer: the client reads its start before serverless-offline has finished it", async () => {
    const response = await fetch(`${plain.url}/tasks/stream`);
    const reader = response.body!.getReader();
    let text = "";
    while (text.length < 160_000) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the answer ended before it was released");
      text += Buffer.from(value).toString("utf8");
    }
    releaseStream();
    for (let part = await reader.read(); !part.done; part = await reader.read())
      text += Buffer.from(part.value).toString();

    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toHaveLength(40_001);
  }, 15_000);
});

describe("serverless-offline's own answers", () => {
  it.each([
    [
      "no API key (401)",
      "/tasks/nokey",
      401,
      errorJson("unauthorized", "Send an API key: Authorization: Bearer ofl_sk_…"),
    ],
    [
      "a refused key (403)",
      "/tasks/badkey",
      403,
      errorJson("forbidden", "This API key or watch token may not make this request."),
    ],
    [
      "a Lambda timeout (its 200)",
      "/tasks/slow",
      504,
      errorJson("timeout", "The function did not answer within its timeout."),
    ],
    [
      "a handler crash (502, JSON)",
      "/tasks/crash",
      502,
      errorJson("bad_gateway", "The function failed before it answered; the server log has the details."),
    ],
    [
      "a handler crash (502, text)",
      "/tasks/crash-text",
      502,
      errorJson("bad_gateway", "The function failed before it answered; the server log has the details."),
    ],
    [
      "an unknown route, without the route list",
      "/nope/deeper?x=1",
      404,
      errorJson("route_not_found", "No route for GET /nope/deeper.", { method: "GET", path: "/nope/deeper" }),
    ],
    [
      "an unknown route starting with //, named as asked",
      "//nope",
      404,
      errorJson("route_not_found", "No route for GET //nope.", { method: "GET", path: "//nope" }),
    ],
  ])("become the API's error shape: %s", async (_what, path, status, body) => {
    const response = await call(plain, path);

    expect(response.status).toBe(status);
    expect(response.text).toBe(body);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });

  it("are read even when gzipped (as Hapi does for a client that accepts gzip)", async () => {
    const response = await call(plain, "/tasks/T1/unknown", { headers: { "accept-encoding": "gzip" } });

    expect(response.status).toBe(404);
    expect(response.text).toBe(
      errorJson("route_not_found", "No route for GET /tasks/T1/unknown.", { method: "GET", path: "/tasks/T1/unknown" }),
    );
    expect(seen.findLast((s) => s.url === "/tasks/T1/unknown")?.headers["accept-encoding"]).toBe("gzip");
  });

  it("turn a 413 into body_too_large", async () => {
    const response = await call(plain, "/uploads", { method: "POST", body: "x".repeat(1024) });

    expect(response.status).toBe(413);
    expect(response.text).toBe(errorJson("body_too_large", "The request body is over the 10 MB API Gateway accepts."));
  });

  it("turn a 404 for a known path under another method into a 405 with allow", async () => {
    const response = await call(plain, "/tasks/T9", { method: "PUT", body: "{}" });

    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("DELETE, GET");
    expect(response.text).toBe(
      errorJson("method_not_allowed", "/tasks/T9 does not take PUT; it takes DELETE, GET.", {
        method: "PUT",
        path: "/tasks/T9",
        allowed: ["DELETE", "GET"],
      }),
    );
  });

  it("answer 502 bad_gateway when serverless-offline does not answer at all", async () => {
    const down = await startLocalGateway({ port: 0, upstreamPort: await freePort() });
    try {
      const response = await call(down, "/tasks");

      expect(response.status).toBe(502);
      expect(JSON.parse(response.text).error.code).toBe("bad_gateway");
    } finally {
      await down.stop();
    }
  });
});

describe("CORS, as API Gateway does it", () => {
  it("off: no access-control-* header in any answer, whatever serverless-offline added", async () => {
    const headers = { origin: EVIL };
    const answers = await Promise.all([
      call(plain, "/tasks/T1", { headers }),
      call(plain, "/tasks/nokey", { headers }),
      call(plain, "/nope", { headers }),
      call(plain, "/tasks", { method: "OPTIONS", headers: { ...headers, "access-control-request-method": "POST" } }),
    ]);

    expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 404]);
    expect(answers.map((a) => corsHeaderNames(a.headers))).toEqual([[], [], [], []]);
  });

  it("off: a preflight gets the unknown-route answer and never reaches serverless-offline", async () => {
    const before = seen.length;
    const response = await call(plain, "/tasks", {
      method: "OPTIONS",
      headers: { origin: APP, "access-control-request-method": "POST" },
    });

    expect(response.status).toBe(404);
    expect(response.text).toBe(
      errorJson("route_not_found", "No route for OPTIONS /tasks.", { method: "OPTIONS", path: "/tasks" }),
    );
    expect(seen.length).toBe(before);
  });

  it("on: an allowed origin gets allow-origin, vary and the exposed headers, not serverless-offline's credentials", async () => {
    const response = await call(withCors, "/tasks/T1", { headers: { origin: APP } });

    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
    expect(response.headers.get("access-control-expose-headers")).toBe("etag,location");
    expect(response.headers.get("vary")).toBe("origin");
    expect(corsHeaderNames(response.headers).sort()).toEqual([
      "access-control-allow-origin",
      "access-control-expose-headers",
    ]);
  });

  it("on: an allowed origin can read the gateway's own errors too", async () => {
    const response = await call(withCors, "/tasks/nokey", { headers: { origin: APP } });

    expect(response.status).toBe(401);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("on: another origin gets no CORS header", async () => {
    const response = await call(withCors, "/tasks/T1", { headers: { origin: EVIL } });

    expect(response.status).toBe(200);
    expect(corsHeaderNames(response.headers)).toEqual([]);
  });

  it("on: the gateway answers a preflight itself, with the configured methods, headers and max-age", async () => {
    const before = seen.length;
    const allowed = await call(withCors, "/tasks", {
      method: "OPTIONS",
      headers: {
        origin: APP,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    const other = await call(withCors, "/tasks", {
      method: "OPTIONS",
      headers: { origin: EVIL, "access-control-request-method": "POST" },
    });

    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP);
    expect(allowed.headers.get("access-control-allow-methods")).toBe("GET,POST,DELETE");
    expect(allowed.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
    expect(allowed.headers.get("access-control-max-age")).toBe("600");
    expect(other.status).toBe(204);
    expect(corsHeaderNames(other.headers)).toEqual([]);
    expect(seen.length).toBe(before);
  });
});

describe("gatewaySettings", () => {
  it("reads the routes and the CORS settings of a serverless config", () => {
    const config = {
      service: "offload",
      provider: { stage: "x", region: "us-east-1", httpApi: { cors: { ...CORS, maxAge: undefined } } },
      functions: {
        a: { handler: "a.h", events: [{ httpApi: { method: "get", path: "/a/{id}" } }, { sqs: { arn: "q" } }] },
        b: { handler: "b.h", events: [{ httpApi: "POST /b" }, { httpApi: "*" }] },
        c: { handler: "c.h" },
      },
    } as unknown as ServerlessConfig;

    expect(gatewaySettings(config)).toEqual({
      routes: [
        { method: "GET", path: "/a/{id}" },
        { method: "POST", path: "/b" },
        { method: "ANY", path: "/{proxy+}" },
      ],
      cors: { ...CORS, maxAge: undefined },
    });
  });

  it("finds every HTTP route of serverless.yml, and CORS off by default", () => {
    const settings = gatewaySettings(JSON.parse(inject("serverlessConfig")) as ServerlessConfig);

    expect(settings.routes).toContainEqual({ method: "GET", path: "/tasks/{id}" });
    expect(settings.routes).toContainEqual({ method: "POST", path: "/tasks" });
    expect(settings.cors).toBeUndefined();
  });
});
