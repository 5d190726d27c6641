import { describe, expect, it } from "vitest";
import type { OffloadError } from "../../lib/domain/errors.ts";
import { LOCAL_CONTENT_TYPE_HEADER, readJsonBody } from "../../lib/handlers/http.ts";
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
  const limits = { maxRequestBytes: 100, localGateway: false };

  it("parses JSON sent with a JSON content type, whatever its case and parameters", () => {
    expect(readJsonBody(post('{"a":1}', json), limits)).toEqual({ a: 1 });
  });

  it("decodes base64 bodies", () => {
    expect(readJsonBody(post(Buffer.from('{"a":2}').toString("base64"), json, true), limits)).toEqual({ a: 2 });
  });

  it.each([
    ["no content type", post("{}", {}), "unsupported_media_type"],
    ["a form content type", post("a=1", { "content-type": "application/x-www-form-urlencoded" }), "unsupported_media_type"],
    ["an empty body", post(undefined, json), "invalid_json"],
    ["malformed JSON", post("{nope", json), "invalid_json"],
    ["a body over the limit", post(`{"a":"${"x".repeat(200)}"}`, json), "body_too_large"],
    ["0", post("0", json), "invalid_request"],
    ["false", post("false", json), "invalid_request"],
    ["null", post("null", json), "invalid_request"],
    ['""', post('""', json), "invalid_request"],
    ['"x"', post('"x"', json), "invalid_request"],
    ["a JSON string holding an object", post(JSON.stringify('{"a":1}'), json), "invalid_request"],
    ["[]", post("[]", json), "invalid_request"],
    ["0, base64-encoded", post(Buffer.from("0").toString("base64"), json, true), "invalid_request"],
  ])("refuses %s", (_what, event, code) => {
    expect(codeOf(() => readJsonBody(event, limits))).toBe(code);
  });

  it("says what the body was when it is JSON but not an object", () => {
    expect(() => readJsonBody(post("[1]", json), limits)).toThrow("The body must be a JSON object; got an array.");
    expect(() => readJsonBody(post("0", json), limits)).toThrow("got number");
  });

  describe(`behind the local gateway (${LOCAL_CONTENT_TYPE_HEADER})`, () => {
    // What the gateway hands serverless-offline: the bytes as they came, as octet-stream, and the real content type.
    const relayed = (bytes: string, contentType: string | null) =>
      post(Buffer.from(bytes).toString("base64"), {
        "content-type": "application/octet-stream",
        [LOCAL_CONTENT_TYPE_HEADER]: JSON.stringify(contentType),
      }, true);
    const local = { maxRequestBytes: 100, localGateway: true };

    it("takes the content type the gateway reports, and the body as it came", () => {
      expect(readJsonBody(relayed('{"a":3}', "application/json"), local)).toEqual({ a: 3 });
      expect(codeOf(() => readJsonBody(relayed("0", "application/json"), local))).toBe("invalid_request");
      expect(codeOf(() => readJsonBody(relayed("{}", null), local))).toBe("unsupported_media_type");
      expect(codeOf(() => readJsonBody(relayed("{}", "text/plain"), local))).toBe("unsupported_media_type");
    });

    it("ignores the header unless the configuration says the gateway is in front (on AWS it cannot be spoofed)", () => {
      const spoofed = post("{}", { "content-type": "text/plain", [LOCAL_CONTENT_TYPE_HEADER]: '"application/json"' });
      expect(codeOf(() => readJsonBody(spoofed, limits))).toBe("unsupported_media_type");
      expect(readJsonBody(spoofed, local)).toEqual({});
    });
  });
});
