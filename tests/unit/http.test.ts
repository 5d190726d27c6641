import { describe, expect, it } from "vitest";
import type { OffloadError } from "../../lib/domain/errors.ts";
import { readJsonBody } from "../../lib/handlers/http.ts";
import { httpEvent } from "../support/events.ts";

function post(body: string | undefined, headers: Record<string, string>, isBase64Encoded = false) {
  return { ...httpEvent({ method: "POST", path: "/tasks", headers, ...(body === undefined ? {} : { body }) }), isBase64Encoded };
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as OffloadError).code;
  }
  return "no error";
}

describe("readJsonBody", () => {
  const json = { "Content-Type": "application/json; charset=utf-8" };

  it("parses JSON sent with a JSON content type, whatever its case and parameters", () => {
    expect(readJsonBody(post('{"a":1}', json), 100)).toEqual({ a: 1 });
  });

  it("decodes base64 bodies", () => {
    expect(readJsonBody(post(Buffer.from('{"a":2}').toString("base64"), json, true), 100)).toEqual({ a: 2 });
  });

  it.each([
    ["no content type", post("{}", {}), "unsupported_media_type"],
    ["a form content type", post("a=1", { "content-type": "application/x-www-form-urlencoded" }), "unsupported_media_type"],
    ["an empty body", post(undefined, json), "invalid_json"],
    ["malformed JSON", post("{nope", json), "invalid_json"],
    ["a body over the limit", post(`{"a":"${"x".repeat(200)}"}`, json), "body_too_large"],
  ])("refuses %s", (_what, event, code) => {
    expect(codeOf(() => readJsonBody(event, 100))).toBe(code);
  });
});
