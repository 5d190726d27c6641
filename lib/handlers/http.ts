/**
 * The small shared layer under the HTTP functions: JSON bodies in, JSON responses out, every error mapped once.
 * Events are API Gateway HTTP API (payload 2.0), which serverless-offline also produces.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
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

/** The request's JSON body: checks content type, size (`maxBytes`) and syntax. */
export function readJsonBody(event: HttpEvent, maxBytes: number): unknown {
  const contentType = requestHeader(event, "content-type") ?? "";
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new OffloadError(
      "unsupported_media_type",
      `Send the body as JSON with "content-type: application/json" (got ${JSON.stringify(contentType || "none")}).`,
    );
  }
  const raw = event.body ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8") : Buffer.alloc(0);
  if (raw.length > maxBytes) {
    throw new OffloadError("body_too_large", `The body is ${raw.length} bytes; the limit is ${maxBytes} bytes.`, {
      details: { bytes: raw.length, limit: maxBytes },
    });
  }
  if (raw.length === 0) throw new ValidationError("invalid_json", "The request body is empty; send a JSON object.");
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (error) {
    throw new ValidationError("invalid_json", `The body is not valid JSON: ${(error as Error).message}`);
  }
}

export function pathParameter(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value) throw new ValidationError("invalid_request", `Missing path parameter ${name}.`);
  return value;
}

/** A request header, whatever its case. */
export function requestHeader(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}
