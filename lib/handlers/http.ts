/**
 * The small shared layer under the HTTP functions: JSON bodies in, JSON responses out, every error mapped once.
 * Events are API Gateway HTTP API (payload 2.0), which serverless-offline also produces.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Config } from "../config.ts";
import { hasScope, type Principal, principalFromContext, Scope } from "../domain/access.ts";
import { OffloadError, ValidationError } from "../domain/errors.ts";
import type { Logger } from "../logger.ts";
import { errorBody, httpStatusFor } from "./http-errors.ts";

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResponse = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
    body: JSON.stringify(body),
  };
}

/** What a protected route requires of its caller. */
export interface RouteAccess {
  readonly scope: Scope;
}

/**
 * Wraps a protected route. The caller is the principal the authorizer put in the request context, and only that: a
 * request without one, or with a refused credential, is answered 401 before the route runs; a principal without the
 * route's scope 403. A watch token reads only its own task (the route's `{id}`). Then, as `publicHttpHandler`.
 */
export function httpHandler(
  route: (event: HttpEvent, principal: Principal) => Promise<HttpResponse>,
  deps: () => { logger: Logger },
  access: RouteAccess,
): (event: HttpEvent) => Promise<HttpResponse> {
  return publicHttpHandler((event) => route(event, callerOf(event, access)), deps);
}

/** Wraps a public route: any thrown OffloadError becomes its mapped status; anything else is logged once and is a 500. */
export function publicHttpHandler(
  route: (event: HttpEvent) => Promise<HttpResponse>,
  deps: () => { logger: Logger },
): (event: HttpEvent) => Promise<HttpResponse> {
  return async (event) => {
    try {
      return await route(event);
    } catch (error) {
      if (error instanceof OffloadError) {
        const status = httpStatusFor(error);
        if (status >= 500) deps().logger.error("request failed", { path: event.rawPath, error });
        const headers: Record<string, string> =
          error.retryAfterSeconds === undefined ? {} : { "retry-after": String(error.retryAfterSeconds) };
        if (status === 401) headers["www-authenticate"] = 'Bearer realm="offload"';
        return json(status, errorBody(error.code, error.message, error.details), headers);
      }
      deps().logger.error("unexpected error", { path: event.rawPath, error });
      return json(500, errorBody("internal_error", "Something went wrong on our side; it has been logged."));
    }
  };
}

function callerOf(event: HttpEvent, access: RouteAccess): Principal {
  const context = (event.requestContext as { authorizer?: { lambda?: Record<string, unknown> } }).authorizer?.lambda;
  const verdict = principalFromContext(context);
  if ("refused" in verdict) throw new OffloadError("unauthorized", verdict.refused);
  const { principal } = verdict;
  if (principal.taskId !== undefined) {
    const id = event.pathParameters?.id;
    if (access.scope !== Scope.TasksRead || id === undefined) {
      throw new OffloadError("forbidden", "A watch token can only read the task it was issued for.", {
        details: { scope: access.scope },
      });
    }
    if (id !== principal.taskId) throw new OffloadError("unauthorized", "This watch token is for another task.");
  }
  if (!hasScope(principal, access.scope)) {
    throw new OffloadError("forbidden", `This API key lacks the scope ${access.scope}.`, {
      details: { required: access.scope, granted: principal.scopes },
    });
  }
  return principal;
}

/**
 * The header in which the local gateway (infra/local-gateway.ts) tells the functions a request's real content type
 * (JSON: a string, or null for none), since it hands serverless-offline every body as `application/octet-stream` so
 * that it arrives untouched. Read only when `config.localGateway` says the gateway is in front.
 */
export const LOCAL_CONTENT_TYPE_HEADER = "x-offload-local-content-type";

/** What reading a body depends on. */
export type BodyConfig = Pick<Config, "maxRequestBytes" | "localGateway">;

/**
 * The request's body, which must be a JSON object: checks content type (415), size (`maxRequestBytes`, 413), syntax
 * (400 `invalid_json`) and that the value is an object (400 `invalid_request`: not `0`, `null`, `"x"` or `[]`).
 */
export function readJsonBody(event: HttpEvent, config: BodyConfig): Record<string, unknown> {
  const contentType = contentTypeOf(event, config) ?? "";
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new OffloadError(
      "unsupported_media_type",
      `Send the body as JSON with "content-type: application/json" (got ${JSON.stringify(contentType || "none")}).`,
    );
  }
  const body: unknown = event.body;
  const raw =
    typeof body === "string" ? Buffer.from(body, event.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0);
  const limit = config.maxRequestBytes;
  if (raw.length > limit) {
    throw new OffloadError("body_too_large", `The body is ${raw.length} bytes; the limit is ${limit} bytes.`, {
      details: { bytes: raw.length, limit },
    });
  }
  if (raw.length === 0) throw new ValidationError("invalid_json", "The request body is empty; send a JSON object.");
  let value: unknown;
  try {
    value = JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new ValidationError("invalid_json", `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
    const what = got === "array" ? "an array" : got;
    throw new ValidationError("invalid_request", `The body must be a JSON object; got ${what}.`, { got });
  }
  return value as Record<string, unknown>;
}

/** The content type the client sent: its header, or behind the local gateway, what the gateway says it was. */
function contentTypeOf(event: HttpEvent, config: BodyConfig): string | undefined {
  const told = config.localGateway ? requestHeader(event, LOCAL_CONTENT_TYPE_HEADER) : undefined;
  if (told === undefined) return requestHeader(event, "content-type");
  try {
    const value: unknown = JSON.parse(told);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

export function pathParameter(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new ValidationError("invalid_request", `Missing path parameter ${name}.`);
  return value;
}

/**
 * A request header, whatever its case (API Gateway lower-cases names; serverless-offline passes them as sent). Takes
 * any event with headers: HTTP events and the authorizer's alike.
 */
export function requestHeader(
  event: { readonly headers?: Readonly<Record<string, string | undefined>> | undefined },
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
