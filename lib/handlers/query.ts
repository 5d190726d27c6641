/** Query strings and conditional requests: parsed once, bad values answered with 400 `invalid_query`. */
import type { z } from "zod";
import { ValidationError } from "../domain/errors.ts";
import { describeIssues } from "../use-cases/enqueue.ts";
import type { HttpEvent } from "./http.ts";

/** The event's query string through `schema`; unknown parameters are ignored. */
export function parseQuery<S extends z.ZodType>(event: HttpEvent, schema: S): z.output<S> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) {
    throw new ValidationError("invalid_query", "The query string is not valid.", { issues: describeIssues(parsed.error) });
  }
  return parsed.data;
}

/** The entity tags of an If-None-Match header, weak markers stripped (`*` kept as is). */
export function parseIfNoneMatch(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((tag) => tag.trim().replace(/^W\//, ""))
    .filter((tag) => tag.length > 0);
}
