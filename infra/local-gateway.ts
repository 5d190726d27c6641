/**
 * The local API gateway: `npm start` serves the HTTP API through it, in front of serverless-offline, so that a local
 * caller gets the answers API Gateway (HTTP API) would give, not those of serverless-offline's Hapi server.
 *   - Request headers named `sls-offline-*` are dropped: `sls-offline-authorizer-override` would let any caller
 *     replace the authorizer's verdict, i.e. act as any tenant. API Gateway has no such thing.
 *   - Request bodies reach the functions as they came. serverless-offline parses a JSON body and drops it when the
 *     value is falsy (`0`, `false`, `null`, `""`: `POST /tasks/redrive -d 0` once redrove every failed task), unwraps
 *     a JSON string (`"{…}"` became an object), and calls a body without content type `application/json`. So every
 *     body goes to it as `application/octet-stream`, which it hands over untouched (base64, `isBase64Encoded`), and
 *     the real content type — or `null` for none — goes in `x-offload-local-content-type`, which the functions read
 *     only when OFFLOAD_LOCAL_GATEWAY=true (lib/handlers/http.ts `readJsonBody`): on AWS it is a client's header like
 *     any other and changes nothing. A client's own copy of that header is dropped here.
 *   - serverless-offline's own answers (Hapi "Boom" errors, its 404 listing every route, its Lambda error and timeout
 *     bodies) become the API's JSON error shape; the handlers' answers pass through untouched, streamed both ways.
 *   - CORS is API Gateway's: CORS headers only for the configured origins (none by default), whatever the upstream
 *     says, and preflights answered here.
 * node:http only; bound to 127.0.0.1.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { errorBody } from "../lib/handlers/http-errors.ts";
import { LOCAL_CONTENT_TYPE_HEADER } from "../lib/handlers/http.ts";
import type { ServerlessConfig } from "./serverless-config.ts";

/** One route of the API, as serverless.yml declares it: `GET /tasks/{id}`; method `ANY` matches every method. */
export interface HttpRoute {
  readonly method: string;
  readonly path: string;
}

/** The HTTP API's CORS settings, as `provider.httpApi.cors` resolves (infra/serverless/cors.js). */
export interface CorsSettings {
  /** Exact origins (`https://app.example.com`), or `*` for any. */
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly exposedResponseHeaders: readonly string[];
  readonly allowCredentials: boolean;
  /** Seconds a browser may cache a preflight's answer. */
  readonly maxAge?: number;
}

export interface LocalGatewayOptions {
  /** The public port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** serverless-offline's HTTP port on 127.0.0.1. */
  readonly upstreamPort: number;
  /** The API's routes: a path served under other methods answers 405 rather than 404. */
  readonly routes?: readonly HttpRoute[];
  /** CORS; absent = off (no CORS header in any answer), as on API Gateway without a CORS configuration. */
  readonly cors?: CorsSettings;
}

export interface LocalGateway {
  /** The API's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and cuts every open connection, both sides. */
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";
/** Answers up to this size are read whole to tell serverless-offline's errors from the handlers' answers. */
const SNIFF_LIMIT = 64 * 1024;
/** Headers that concern one connection, not the request or answer (`transfer-encoding` goes on with a request body). */
const REQUEST_HOP_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "upgrade", "te", "expect"]);
const RESPONSE_HOP_HEADERS = new Set(["connection", "keep-alive", "proxy-connection", "upgrade", "transfer-encoding"]);
/** API Gateway's own CORS defaults for `cors: true` (those of the serverless framework). */
const DEFAULT_CORS_HEADERS = [
  "Content-Type",
  "X-Amz-Date",
  "Authorization",
  "X-Api-Key",
  "X-Amz-Security-Token",
  "X-Amz-User-Agent",
  "X-Amzn-Trace-Id",
];

/** The routes and CORS settings of a resolved serverless config (`loadServerlessConfig`). */
export function gatewaySettings(config: ServerlessConfig): { routes: HttpRoute[]; cors?: CorsSettings } {
  const routes: HttpRoute[] = [];
  for (const fn of Object.values(config.functions)) {
    for (const event of fn.events ?? []) {
      const httpApi = (event as { httpApi?: unknown }).httpApi;
      if (typeof httpApi === "string") {
        const [method = "*", path = "/{proxy+}"] = httpApi === "*" ? [] : httpApi.split(" ");
        routes.push({ method: method === "*" ? "ANY" : method.toUpperCase(), path });
      } else if (httpApi && typeof httpApi === "object") {
        const { method = "*", path = "/{proxy+}" } = httpApi as { method?: string; path?: string };
        routes.push({ method: method === "*" ? "ANY" : method.toUpperCase(), path });
      }
    }
  }
  const provider = config.provider as { httpApi?: { cors?: boolean | Partial<CorsSettings> } };
  const raw = provider.httpApi?.cors;
  if (!raw) return { routes };
  const given = raw === true ? {} : raw;
  const cors: CorsSettings = {
    allowedOrigins: given.allowedOrigins ?? ["*"],
    allowedHeaders: given.allowedHeaders ?? DEFAULT_CORS_HEADERS,
    allowedMethods: given.allowedMethods ?? [...new Set(["OPTIONS", ...routes.map((route) => route.method)])],
    exposedResponseHeaders: given.exposedResponseHeaders ?? [],
    allowCredentials: given.allowCredentials === true,
    ...(given.maxAge === undefined ? {} : { maxAge: given.maxAge }),
  };
  return { routes, cors };
}

/** Starts the gateway; it forwards to serverless-offline on `upstreamPort` (which need not be up yet). */
export async function startLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  // No keep-alive to serverless-offline: a reused socket it has just closed would turn into a spurious 502.
  const agent = new Agent({ keepAlive: false });
  const server = createServer((req, res) => serve(req, res, options, agent));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${HOST}:${port}`,
    port,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

function serve(req: IncomingMessage, res: ServerResponse, options: LocalGatewayOptions, agent: Agent) {
  const method = req.method ?? "GET";
  // A base of its own, not URL's second argument: that would read `//tasks` as the host `tasks` and the path `/`.
  const path = new URL(`http://gateway${req.url?.startsWith("/") ? req.url : "/"}`).pathname;
  const origin = req.headers.origin;
  const cors = corsHeaders(options.cors, origin);

  if (method === "OPTIONS") {
    if (options.cors) {
      // API Gateway answers every preflight itself when CORS is configured; CORS headers only for an allowed origin.
      res.writeHead(204, cors.length ? [...withCors([], cors), ...preflightHeaders(options.cors)] : []);
      res.end();
      return;
    }
    const served = (options.routes ?? []).some(
      (r) => (r.method === "OPTIONS" || r.method === "ANY") && matches(r.path, path),
    );
    if (!served) return sendError(res, routeNotFound(method, path), cors);
  }

  let answered = false;
  const upstream = request({
    host: HOST,
    port: options.upstreamPort,
    method,
    path: req.url,
    headers: forwardedHeaders(req),
    agent,
  });
  upstream.on("error", (error) => {
    if (answered) return;
    answered = true;
    req.unpipe(upstream);
    sendError(res, badGateway(`The local HTTP API (serverless-offline) did not answer: ${error.message}`), cors);
  });
  upstream.on("response", (answer) => {
    answered = true;
    relay(answer, res, { method, path, routes: options.routes ?? [], cors });
  });
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/** Sends serverless-offline's answer on, rewritten if it is one of serverless-offline's own errors. */
function relay(answer: IncomingMessage, res: ServerResponse, asked: Asked & { readonly cors: readonly string[] }) {
  const status = answer.statusCode ?? 502;
  const headers = withCors(
    pairs(answer.rawHeaders, (name) => !RESPONSE_HOP_HEADERS.has(name)),
    asked.cors,
  );
  answer.on("close", () => {
    if (!answer.complete) res.destroy();
  });
  const length = Number(answer.headers["content-length"] ?? 0);
  const bodyless = asked.method === "HEAD" || status === 204 || status === 304;
  if (bodyless || length > SNIFF_LIMIT || (status < 400 && !/json/i.test(answer.headers["content-type"] ?? ""))) {
    res.writeHead(status, headers);
    answer.pipe(res);
    return;
  }

  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size <= SNIFF_LIMIT) return;
    // Too big for one of serverless-offline's errors: stream the rest.
    answer.off("data", onData).off("end", onEnd).pause();
    res.writeHead(status, headers);
    for (const buffered of chunks) res.write(buffered);
    answer.pipe(res);
  };
  const onEnd = () => {
    const body = Buffer.concat(chunks);
    const rewrite = offlineError(status, parseJson(body, answer.headers["content-encoding"]), asked);
    if (rewrite) return sendError(res, rewrite, asked.cors);
    res.writeHead(status, headers);
    res.end(body);
  };
  answer.on("data", onData).on("end", onEnd);
}

/** What the gateway knows of the request an answer is for. */
interface Asked {
  readonly method: string;
  readonly path: string;
  readonly routes: readonly HttpRoute[];
}

interface GatewayError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
  readonly headers?: readonly string[];
}

/** What an answer of serverless-offline's own becomes; undefined for a handler's answer. */
function offlineError(status: number, body: unknown, asked: Asked): GatewayError | undefined {
  if (!isObject(body)) return status === 502 ? badGateway() : status === 504 ? timeout() : undefined;
  if (isObject(body.error) && typeof body.error.code === "string") return undefined; // the API's own error
  if (typeof body.statusCode === "number" && typeof body.error === "string") {
    return boomError(body.statusCode, body.error, typeof body.message === "string" ? body.message : body.error, asked);
  }
  if (typeof body.errorMessage === "string" && !("statusCode" in body)) {
    // A Lambda error: the function threw, timed out or answered something API Gateway cannot use.
    return body.errorMessage.startsWith("[504]") ? timeout() : badGateway();
  }
  return status === 502 ? badGateway() : status === 504 ? timeout() : undefined;
}

/** A Hapi Boom error (`{"statusCode":401,"error":"Unauthorized","message":"..."}`) in the API's words. */
function boomError(status: number, name: string, message: string, asked: Asked): GatewayError {
  switch (status) {
    case 401:
      return { status, code: "unauthorized", message: "Send an API key: Authorization: Bearer ofl_sk_…" };
    case 403:
      return { status, code: "forbidden", message: "This API key or watch token may not make this request." };
    case 404: {
      const { method, path, routes } = asked;
      const allowed = [...new Set(routes.filter((r) => matches(r.path, path)).map((r) => r.method))].sort();
      if (method === "OPTIONS" || allowed.length === 0 || allowed.includes(method) || allowed.includes("ANY")) {
        return routeNotFound(method, path);
      }
      return {
        status: 405,
        code: "method_not_allowed",
        message: `${path} does not take ${method}; it takes ${allowed.join(", ")}.`,
        details: { method, path, allowed },
        headers: ["allow", allowed.join(", ")],
      };
    }
    case 413:
      return { status, code: "body_too_large", message: "The request body is over the 10 MB API Gateway accepts." };
    case 400:
      return { status, code: "invalid_request", message };
    default:
      if (status >= 500) return status === 504 ? timeout() : badGateway();
      // Another 4xx of Hapi's own: its name in snake case ("Request Timeout" → request_timeout).
      return { status, code: name.toLowerCase().replace(/\W+/g, "_").replace(/^_|_$/g, ""), message };
  }
}

function routeNotFound(method: string, path: string): GatewayError {
  return {
    status: 404,
    code: "route_not_found",
    message: `No route for ${method} ${path}.`,
    details: { method, path },
  };
}

function badGateway(message = "The function failed before it answered; the server log has the details."): GatewayError {
  return { status: 502, code: "bad_gateway", message };
}

function timeout(): GatewayError {
  return { status: 504, code: "timeout", message: "The function did not answer within its timeout." };
}

function sendError(res: ServerResponse, error: GatewayError, cors: readonly string[]) {
  if (res.headersSent) return res.destroy();
  const body = JSON.stringify(errorBody(error.code, error.message, error.details));
  const headers = ["content-type", "application/json; charset=utf-8", "cache-control", "no-store"];
  headers.push("content-length", String(Buffer.byteLength(body)), ...(error.headers ?? []));
  res.writeHead(error.status, withCors(headers, cors));
  res.end(body);
}

/** Does a route template (`/tasks/{id}`, `/files/{proxy+}`) match a request path? */
function matches(template: string, path: string): boolean {
  const want = template.split("/");
  const got = path.split("/");
  for (const [i, part] of want.entries()) {
    if (/^\{.+\+\}$/.test(part)) return got.slice(i).join("/") !== "";
    const segment = got[i];
    if (segment === undefined) return false;
    if (/^\{.+\}$/.test(part) ? segment === "" : segment !== part) return false;
  }
  return got.length === want.length;
}

/**
 * The request's headers for serverless-offline: no hop-by-hop headers, none of its `sls-offline-*` controls, no
 * client copy of LOCAL_CONTENT_TYPE_HEADER; with a body, `application/octet-stream` and the real content type (or
 * null) in LOCAL_CONTENT_TYPE_HEADER, so that serverless-offline passes the body on byte for byte.
 */
function forwardedHeaders(req: IncomingMessage): string[] {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  const headers = pairs(
    req.rawHeaders,
    (name) =>
      !name.startsWith("sls-offline-") &&
      !REQUEST_HOP_HEADERS.has(name) &&
      name !== LOCAL_CONTENT_TYPE_HEADER &&
      !(hasBody && name === "content-type"),
  );
  if (!hasBody) return headers;
  const told = JSON.stringify(req.headers["content-type"] ?? null);
  return [...headers, "content-type", "application/octet-stream", LOCAL_CONTENT_TYPE_HEADER, told];
}

/**
 * Response headers with API Gateway's CORS: whatever `access-control-*` headers they had are gone (serverless-offline
 * adds its own); for an allowed origin, `cors` and `vary: origin` (merged with any other `vary`) are added.
 */
function withCors(headers: readonly string[], cors: readonly string[]): string[] {
  const vary: string[] = [];
  const kept = pairs(headers, (name, value) => {
    if (name === "vary" && cors.length) vary.push(value);
    return !name.startsWith("access-control-") && !(name === "vary" && cors.length);
  });
  return cors.length ? [...kept, ...cors, "vary", [...vary, "origin"].join(", ")] : kept;
}

function pairs(raw: readonly string[], keep: (lowerName: string, value: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    if (keep(name.toLowerCase(), value)) out.push(name, value);
  }
  return out;
}

/** The CORS headers every answer to this origin carries (but `vary`); none if CORS is off or the origin is not allowed. */
function corsHeaders(cors: CorsSettings | undefined, origin: string | undefined): string[] {
  if (!cors || !origin) return [];
  if (!cors.allowedOrigins.includes("*") && !cors.allowedOrigins.includes(origin)) return [];
  return [
    "access-control-allow-origin",
    origin,
    ...(cors.allowCredentials ? ["access-control-allow-credentials", "true"] : []),
    ...(cors.exposedResponseHeaders.length
      ? ["access-control-expose-headers", cors.exposedResponseHeaders.join(",")]
      : []),
  ];
}

function preflightHeaders(cors: CorsSettings): string[] {
  return [
    "access-control-allow-methods",
    cors.allowedMethods.join(","),
    "access-control-allow-headers",
    cors.allowedHeaders.join(","),
    ...(cors.maxAge === undefined ? [] : ["access-control-max-age", String(cors.maxAge)]),
  ];
}

function parseJson(body: Buffer, encoding: string | undefined): unknown {
  try {
    const decoded =
      encoding === "gzip"
        ? gunzipSync(body, { maxOutputLength: 16 * SNIFF_LIMIT })
        : encoding === "deflate"
          ? inflateSync(body, { maxOutputLength: 16 * SNIFF_LIMIT })
          : encoding === "br"
            ? brotliDecompressSync(body, { maxOutputLength: 16 * SNIFF_LIMIT })
            : body;
    return JSON.parse(decoded.toString("utf8"));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
