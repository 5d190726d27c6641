/**
 * The whole client flow against the emulator: POST /uploads → PUT the bytes to the presigned URL (fetch) → POST
 * /tasks → worker → GET /tasks/{id} → download each rendition from its presigned URL and decode it; once with a 3 MP
 * photo, once with a 24 MP, 23 MB camera JPEG (over the 11 MiB fauxqs alone would take, under the 25 MiB limit).
 * Also: what POST /uploads refuses, and that a source outside the tenant's uploads/<tenant>/ is refused at enqueue with
 * nothing written.
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import type { TaskView } from "../../lib/domain/task.ts";
import { MAX_UPLOAD_BYTES } from "../../lib/domain/uploads.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import { createUploadsHandler } from "../../lib/handlers/uploads.ts";
import type { CreatedUpload } from "../../lib/use-cases/create-upload.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import { cameraJpeg, largeJpeg } from "../support/images.ts";
import { createTestStack, TEST_TENANT, type TestStack } from "../support/stack.ts";
import { eventually } from "../support/wait.ts";

let stack: TestStack;
let worker: RunningEventSource;
let uploads: ReturnType<typeof createUploadsHandler>;
let enqueue: ReturnType<typeof createEnqueueHandler>;
let status: ReturnType<typeof createStatusHandler>;

beforeAll(async () => {
  stack = await createTestStack();
  uploads = stack.authorized(createUploadsHandler(() => stack.deps));
  enqueue = stack.authorized(createEnqueueHandler(() => stack.deps));
  status = stack.authorized(createStatusHandler(() => stack.deps));
  worker = stack.startWorker();
});

afterAll(async () => {
  await worker?.stop();
});

function body<T>(response: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(response.body ?? "null") as T;
}

interface ErrorResponse {
  error: { code: string; message: string; details?: unknown };
}

describe("upload → thumbnail → download", () => {
  it("runs the whole flow with presigned URLs", async () => {
    const photo = await largeJpeg(2000, 1500);

    // 1. Ask for an upload.
    const created = await uploads(
      jsonRequest("/uploads", { contentType: "image/jpeg", bytes: photo.length, filename: "Holiday photo.JPG" }),
    );
    expect(created.statusCode, created.body).toBe(201);
    const { key, upload } = body<CreatedUpload>(created);
    expect(key).toMatch(new RegExp(`^uploads/${TEST_TENANT}/[0-9A-HJKMNP-TV-Z]{26}/Holiday-photo\\.JPG$`));
    expect(upload).toMatchObject({
      method: "PUT",
      headers: { "content-type": "image/jpeg", "content-length": String(photo.length) },
    });
    const signedHeaders = new URL(upload.url).searchParams.get("X-Amz-SignedHeaders") ?? "";
    expect(signedHeaders.split(";")).toEqual(expect.arrayContaining(["content-length", "content-type", "host"]));
    // A checksum signed at presign time would be the empty body's, and real S3 would reject the upload.
    expect([...new URL(upload.url).searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    expect(Date.parse(upload.expiresAt)).toBeGreaterThan(Date.now());

    // 2. Upload the bytes exactly as told.
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: photo });
    expect(put.status).toBe(200);

    // 3. Enqueue the thumbnail task.
    const queued = await enqueue(jsonRequest("/tasks", { type: "thumbnail", input: { source: key, format: "webp" } }));
    expect(queued.statusCode, queued.body).toBe(202);
    const { id } = body<TaskView>(queued);

    // 4. Poll until it is done.
    const done = await finished(id);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    const result = done.result as ThumbnailResult;
    expect(result.source).toEqual({ key, format: "jpeg", width: 2000, height: 1500 });

    // 5. Download every rendition from its presigned URL and decode it.
    const expected = { large: [1600, 1200], medium: [800, 600], small: [400, 300], thumb: [150, 150] };
    expect(result.renditions.map((rendition) => rendition.name)).toEqual(Object.keys(expected));
    for (const rendition of result.renditions) {
      expect(new URL(rendition.url).searchParams.get("X-Amz-Expires")).toBe("900");
      const decoded = await download(rendition, "webp");
      expect([decoded.width, decoded.height]).toEqual(expected[rendition.name as keyof typeof expected]);
    }
  });

  it("takes a 24-megapixel, 23 MB camera JPEG through upload, thumbnail and download", async () => {
    const photo = await cameraJpeg(6000, 4000);
    expect(photo.length).toBeGreaterThanOrEqual(20_000_000);
    expect(photo.length).toBeLessThanOrEqual(MAX_UPLOAD_BYTES);
    const started = Date.now();

    const created = await uploads(jsonRequest("/uploads", { contentType: "image/jpeg", bytes: photo.length, filename: "DSC01234.JPG" }));
    expect(created.statusCode, created.body).toBe(201);
    const { key, upload } = body<CreatedUpload>(created);
    const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: photo });
    expect(put.status, await put.text()).toBe(200);
    expect(await stack.deps.services.blobs.head(key)).toMatchObject({ bytes: photo.length, contentType: "image/jpeg" });
    const uploaded = Date.now();

    const queued = await enqueue(jsonRequest("/tasks", { type: "thumbnail", input: { source: key, format: "jpeg" } }));
    expect(queued.statusCode, queued.body).toBe(202);
    const done = await finished(body<TaskView>(queued).id, 90_000);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    const result = done.result as ThumbnailResult;
    expect(result.source).toEqual({ key, format: "jpeg", width: 6000, height: 4000 });
    const thumbnailed = Date.now();

    for (const rendition of result.renditions) {
      const decoded = await download(rendition, "jpeg");
      expect([decoded.width, decoded.height]).toEqual([rendition.width, rendition.height]);
    }
    expect(result.renditions.map(({ name, width, height }) => `${name} ${width}x${height}`)).toEqual([
      "large 1600x1067",
      "medium 800x533",
      "small 400x267",
      "thumb 150x150",
    ]);
    const downloaded = Date.now();
    console.info(
      `${(photo.length / 1e6).toFixed(1)} MB camera JPEG: upload ${uploaded - started} ms, thumbnail task ` +
        `${thumbnailed - uploaded} ms, downloads ${downloaded - thumbnailed} ms, total ${downloaded - started} ms`,
    );
  }, 120_000);
});

type ThumbnailResult = {
  source: { key: string; format: string; width: number; height: number };
  renditions: { name: string; width: number; height: number; bytes: number; url: string; urlExpiresAt: string }[];
};

/** Polls GET /tasks/{id} until the task has succeeded or failed. */
function finished(id: string, timeoutMs = 30_000): Promise<TaskView> {
  return eventually(
    async () => {
      const view = body<TaskView>(await status(httpEvent({ method: "GET", path: `/tasks/${id}`, pathParameters: { id } })));
      return view.status === "succeeded" || view.status === "failed" ? view : undefined;
    },
    { what: `task ${id} to finish`, timeoutMs },
  );
}

/** Downloads a rendition from its presigned URL, checks its type and size, and decodes it. */
async function download(rendition: ThumbnailResult["renditions"][number], format: "webp" | "jpeg") {
  const response = await fetch(rendition.url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe(`image/${format}`);
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(bytes.length).toBe(rendition.bytes);
  const metadata = await sharp(bytes).metadata();
  expect(metadata.format).toBe(format);
  return { width: metadata.width, height: metadata.height };
}

describe("POST /uploads refuses", () => {
  it.each([
    ["a type that is not an image", { contentType: "text/plain", bytes: 100 }, 400, "unsupported_upload_type"],
    ["SVG (scriptable, not decoded)", { contentType: "image/svg+xml", bytes: 100 }, 400, "unsupported_upload_type"],
    ["a file over the limit", { contentType: "image/jpeg", bytes: MAX_UPLOAD_BYTES + 1 }, 413, "upload_too_large"],
    ["an empty file", { contentType: "image/png", bytes: 0 }, 400, "empty_upload"],
    ["a negative size", { contentType: "image/png", bytes: -1 }, 400, "invalid_request"],
    ["a missing size", { contentType: "image/png" }, 400, "invalid_request"],
    ["an unknown field", { contentType: "image/png", bytes: 10, acl: "public-read" }, 400, "invalid_request"],
  ])("%s", async (_, request, statusCode, code) => {
    const response = await uploads(jsonRequest("/uploads", request));

    expect(response.statusCode).toBe(statusCode);
    const { error } = body<ErrorResponse>(response);
    expect(error.code).toBe(code);
    // Every refusal states both limits.
    expect(error.message).toContain("image/jpeg");
    expect(error.message).toContain(String(MAX_UPLOAD_BYTES));
  });

  it("a body that is not JSON", async () => {
    const response = await uploads(
      httpEvent({ method: "POST", path: "/uploads", body: "bytes=10", headers: { "content-type": "application/x-www-form-urlencoded" } }),
    );

    expect(response.statusCode).toBe(415);
  });
});

describe("POST /tasks with a thumbnail source outside the tenant's uploads/", () => {
  it.each([
    "results/01J0000000000000000000TASK/large.jpg",
    "uploads/../secret.txt",
    "private/report.pdf",
    // Another tenant's upload, and an upload of the layout before tenants (no tenant segment).
    "uploads/someone-else/01J0000000000000000000TASK/photo.jpg",
    "uploads/01J0000000000000000000TASK/photo.jpg",
  ])(
    "refuses %s with 400 and writes nothing",
    async (source) => {
      const tasksBefore = (await stack.scanTasks()).length;

      const response = await enqueue(jsonRequest("/tasks", { type: "thumbnail", input: { source } }));

      expect(response.statusCode).toBe(400);
      expect(body<ErrorResponse>(response).error.code).toBe("invalid_input");
      expect(await stack.scanTasks()).toHaveLength(tasksBefore);
      expect(await stack.messageCount(stack.queueUrl)).toBe(0);
    },
  );
});
