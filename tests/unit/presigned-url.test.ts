/**
 * The emulator's presigned-URL verifier against AWS's own worked example of SigV4 query authentication ("Authenticating
 * Requests: Using Query Parameters", GET /test.txt from examplebucket, signed 2013-05-24 for 86400 s), so that it
 * follows the specification rather than only agreeing with the SDK's presigner; then each refusal S3 makes.
 */
import { describe, expect, it } from "vitest";
import { EMULATOR_CREDENTIALS, isPresigned, verifyPresignedUrl } from "../../infra/emulator/presigned-url.ts";

const credentials = new Map([["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]]);
const headers = { host: "examplebucket.s3.amazonaws.com" };
const query = {
  "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
  "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
  "X-Amz-Date": "20130524T000000Z",
  "X-Amz-Expires": "86400",
  "X-Amz-SignedHeaders": "host",
  "X-Amz-Signature": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
};
const documented = { method: "GET", target: `/test.txt?${new URLSearchParams(query)}`, headers };
const duringValidity = { credentials, now: new Date("2013-05-24T12:00:00Z") };

function withQuery(changes: Record<string, string | undefined>) {
  const changed = new URLSearchParams(query);
  for (const [name, value] of Object.entries(changes)) {
    if (value === undefined) changed.delete(name);
    else changed.set(name, value);
  }
  return { ...documented, target: `/test.txt?${changed}` };
}

describe("verifyPresignedUrl", () => {
  it("accepts AWS's documented example while it is valid", async () => {
    expect(await verifyPresignedUrl(documented, duringValidity)).toBeUndefined();
  });

  it("refuses a tampered signature with SignatureDoesNotMatch, showing AWS's documented canonical request", async () => {
    const error = await verifyPresignedUrl(withQuery({ "X-Amz-Signature": "0".repeat(64) }), duringValidity);

    expect(error).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
    expect(error?.details?.CanonicalRequest).toBe(
      [
        "GET",
        "/test.txt",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host",
        "host:examplebucket.s3.amazonaws.com",
        "",
        "host",
        "UNSIGNED-PAYLOAD",
      ].join("\n"),
    );
    expect(error?.details?.StringToSign).toBe(
      [
        "AWS4-HMAC-SHA256",
        "20130524T000000Z",
        "20130524/us-east-1/s3/aws4_request",
        "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
      ].join("\n"),
    );
  });

  it.each([
    ["another path", { ...documented, target: documented.target.replace("/test.txt", "/test2.txt") }],
    ["another method", { ...documented, method: "PUT" }],
    ["another host", { ...documented, headers: { host: "otherbucket.s3.amazonaws.com" } }],
    ["a longer validity", withQuery({ "X-Amz-Expires": "86401" })],
    ["an extra query parameter", { ...documented, target: `${documented.target}&versionId=2` }],
  ])("refuses %s with SignatureDoesNotMatch", async (_, request) => {
    expect(await verifyPresignedUrl(request, duringValidity)).toMatchObject({ status: 403, code: "SignatureDoesNotMatch" });
  });

  it("refuses it once expired: AccessDenied 'Request has expired', with the expiry and the server's time", async () => {
    const error = await verifyPresignedUrl(documented, { credentials, now: new Date("2013-05-25T00:00:01Z") });

    expect(error).toEqual({
      status: 403,
      code: "AccessDenied",
      message: "Request has expired",
      details: { "X-Amz-Expires": 86400, Expires: "2013-05-25T00:00:00Z", ServerTime: "2013-05-25T00:00:01Z" },
    });
  });

  it("refuses it more than 15 minutes before its date: AccessDenied 'Request is not yet valid'", async () => {
    const early = await verifyPresignedUrl(documented, { credentials, now: new Date("2013-05-23T23:44:00Z") });
    const withinSkew = await verifyPresignedUrl(documented, { credentials, now: new Date("2013-05-23T23:46:00Z") });

    expect(early).toMatchObject({ status: 403, code: "AccessDenied", message: "Request is not yet valid" });
    expect(withinSkew).toBeUndefined();
  });

  it("knows only its own credentials: test/test", async () => {
    const error = await verifyPresignedUrl(documented, { now: duringValidity.now });

    expect([...EMULATOR_CREDENTIALS]).toEqual([["test", "test"]]);
    expect(error).toMatchObject({ status: 403, code: "InvalidAccessKeyId", details: { AWSAccessKeyId: "AKIAIOSFODNN7EXAMPLE" } });
  });

  it("refuses x-amz-* headers that were not signed", async () => {
    const request = { ...documented, headers: { ...headers, "x-amz-acl": "public-read" } };

    expect(await verifyPresignedUrl(request, duringValidity)).toMatchObject({
      status: 403,
      code: "AccessDenied",
      details: { HeadersNotSigned: "x-amz-acl" },
    });
  });

  it.each([
    ["a missing X-Amz-SignedHeaders", { "X-Amz-SignedHeaders": undefined }],
    ["another algorithm", { "X-Amz-Algorithm": "AWS4-HMAC-SHA1" }],
    ["a malformed credential", { "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3" }],
    ["a malformed date", { "X-Amz-Date": "2013-05-24T00:00:00Z" }],
    ["a credential dated another day", { "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request" }],
    ["an expiry over a week", { "X-Amz-Expires": "604801" }],
    ["a negative expiry", { "X-Amz-Expires": "-1" }],
  ])("answers %s with 400 AuthorizationQueryParametersError", async (_, changes) => {
    expect(await verifyPresignedUrl(withQuery(changes), duringValidity)).toMatchObject({
      status: 400,
      code: "AuthorizationQueryParametersError",
    });
  });
});

describe("isPresigned", () => {
  it("is true for query authentication only", () => {
    expect(isPresigned(documented.target)).toBe(true);
    expect(isPresigned("/bucket/key?X-Amz-Signature=abc")).toBe(true);
    expect(isPresigned("/bucket/key?x-id=PutObject")).toBe(false);
    expect(isPresigned("/bucket/key")).toBe(false);
  });
});
