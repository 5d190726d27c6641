/**
 * Presigned URLs against the emulator over HTTP, checked as S3 checks them. The URLs are the ones the API hands out
 * (S3BlobStore's signedUpload, which signs host, content-length and content-type, and signedDownloadUrl): used as
 * signed they work; used for another key, with another length or content type, with a tampered signature, after
 * they expire or signed with unknown credentials, each is a 403 with S3's error code — and nothing is stored.
 */
import { randomBytes } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../../lib/ports.ts";
import { createTestStack, REGION, TEST_TENANT, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let blobs: BlobStore;
const photo = randomBytes(50_000);

beforeAll(async () => {
  stack = await createTestStack();
  blobs = stack.deps.services.blobs;
});

const uniqueKey = (name: string) => `uploads/${TEST_TENANT}/${randomBytes(8).toString("hex")}/${name}`;

/** The presigned PUT the API would hand out for `photo` at `key`. */
async function signedUpload(key: string) {
  const upload = await blobs.signedUpload(key, { contentType: "image/jpeg", bytes: photo.length, expiresInSeconds: 900 });
  return upload.url;
}

function put(url: string, body: Buffer, contentType = "image/jpeg") {
  return fetch(url, { method: "PUT", headers: { "content-type": contentType }, body });
}

/** The same URL addressed to another object of the bucket: path changed, query (and signature) kept. */
function retargeted(url: string, key: string): string {
  const moved = new URL(url);
  moved.pathname = `/${stack.config.resultsBucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return moved.toString();
}

function tampered(url: string): string {
  const changed = new URL(url);
  const signature = changed.searchParams.get("X-Amz-Signature")!;
  changed.searchParams.set("X-Amz-Signature", `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`);
  return changed.toString();
}

/** S3's XML error: `<Error><Code>…</Code><Message>…</Message>…</Error>`. */
async function s3Error(response: Response) {
  const xml = await response.text();
  expect(response.headers.get("content-type")).toBe("application/xml");
  expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\s*<Error><Code>/);
  const element = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  return { status: response.status, code: element("Code"), message: element("Message"), xml };
}

/** A presigned URL for `command` signed `minutesAgo` ago, valid for `expiresIn` seconds (the presigner's signingDate). */
function signedInThePast(command: PutObjectCommand | GetObjectCommand, minutesAgo: number, expiresIn: number) {
  return getSignedUrl(stack.clients.s3, command, {
    expiresIn,
    signingDate: new Date(Date.now() - minutesAgo * 60_000),
    signableHeaders: new Set(["content-type", "content-length"]),
  });
}

describe("a presigned PUT", () => {
  it("stores exactly what was signed, and the presigned GET reads it back", async () => {
    const key = uniqueKey("photo.jpg");

    const response = await put(await signedUpload(key), photo);

    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    expect(await blobs.head(key)).toMatchObject({ bytes: photo.length, contentType: "image/jpeg" });
    const download = await fetch(await blobs.signedDownloadUrl(key, { expiresInSeconds: 60 }));
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(photo)).toBe(true);
  });

  it("for another key: 403 SignatureDoesNotMatch, and the other object is untouched", async () => {
    const victim = `results/${TEST_TENANT}/${randomBytes(8).toString("hex")}/large.jpg`;
    const original = randomBytes(2_000);
    await blobs.put(victim, original, { contentType: "image/jpeg" });
    const signedFor = uniqueKey("photo.jpg");

    const response = await put(retargeted(await signedUpload(signedFor), victim), photo);

    const error = await s3Error(response);
    expect([error.status, error.code]).toEqual([403, "SignatureDoesNotMatch"]);
    // Like S3, the error shows the canonical request the emulator computed: the path it was asked for.
    expect(error.xml).toContain(`<CanonicalRequest>PUT\n/${stack.config.resultsBucket}/${victim}\n`);
    expect((await blobs.get(victim))?.equals(original)).toBe(true);
    expect(await blobs.head(signedFor)).toBeUndefined();
  });

  it.each([
    ["2 MB, when signed for 50 KB", randomBytes(2_000_000), "image/jpeg"],
    ["a body one byte short", photo.subarray(1), "image/jpeg"],
    ["another content type", photo, "image/png"],
  ])("with %s: 403 SignatureDoesNotMatch, nothing stored", async (_, body, contentType) => {
    const key = uniqueKey("photo.jpg");

    const error = await s3Error(await put(await signedUpload(key), body, contentType));

    expect([error.status, error.code]).toEqual([403, "SignatureDoesNotMatch"]);
    expect(await blobs.head(key)).toBeUndefined();
  });

  it("with a tampered signature: 403 SignatureDoesNotMatch, nothing stored", async () => {
    const key = uniqueKey("photo.jpg");

    const error = await s3Error(await put(tampered(await signedUpload(key)), photo));

    expect([error.status, error.code]).toEqual([403, "SignatureDoesNotMatch"]);
    expect(await blobs.head(key)).toBeUndefined();
  });

  it("after it expired: 403 AccessDenied 'Request has expired', nothing stored", async () => {
    const key = uniqueKey("photo.jpg");
    const command = new PutObjectCommand({
      Bucket: stack.config.resultsBucket,
      Key: key,
      ContentType: "image/jpeg",
      ContentLength: photo.length,
    });
    const url = await signedInThePast(command, 10, 60);

    const error = await s3Error(await put(url, photo));

    expect([error.status, error.code, error.message]).toEqual([403, "AccessDenied", "Request has expired"]);
    expect(error.xml).toMatch(/<X-Amz-Expires>60<\/X-Amz-Expires><Expires>[^<]+Z<\/Expires><ServerTime>[^<]+Z<\/ServerTime>/);
    expect(await blobs.head(key)).toBeUndefined();
  });

  it("signed with credentials the emulator does not know: 403 InvalidAccessKeyId, nothing stored", async () => {
    const key = uniqueKey("photo.jpg");
    const stranger = new S3Client({
      endpoint: stack.endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
    });
    const url = await getSignedUrl(stranger, new PutObjectCommand({ Bucket: stack.config.resultsBucket, Key: key }), {
      expiresIn: 60,
    });

    const error = await s3Error(await fetch(url, { method: "PUT", body: photo }));

    expect([error.status, error.code]).toEqual([403, "InvalidAccessKeyId"]);
    expect(await blobs.head(key)).toBeUndefined();
  });
});

describe("a presigned GET", () => {
  let key: string;

  beforeAll(async () => {
    key = uniqueKey("photo.jpg");
    await blobs.put(key, photo, { contentType: "image/jpeg" });
  });

  it("with a tampered signature: 403 SignatureDoesNotMatch, no bytes of the object", async () => {
    const error = await s3Error(await fetch(tampered(await blobs.signedDownloadUrl(key, { expiresInSeconds: 60 }))));

    expect([error.status, error.code]).toEqual([403, "SignatureDoesNotMatch"]);
  });

  it("for another key: 403 SignatureDoesNotMatch", async () => {
    const other = uniqueKey("other.jpg");
    await blobs.put(other, randomBytes(100), { contentType: "image/jpeg" });

    const url = retargeted(await blobs.signedDownloadUrl(key, { expiresInSeconds: 60 }), other);
    const error = await s3Error(await fetch(url));

    expect([error.status, error.code]).toEqual([403, "SignatureDoesNotMatch"]);
  });

  it("after it expired: 403 AccessDenied 'Request has expired'", async () => {
    const url = await signedInThePast(new GetObjectCommand({ Bucket: stack.config.resultsBucket, Key: key }), 10, 60);

    const error = await s3Error(await fetch(url));

    expect([error.status, error.code, error.message]).toEqual([403, "AccessDenied", "Request has expired"]);
  });
});
