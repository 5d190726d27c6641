/**
 * The thumbnail task type through the real pipeline (enqueue handler → SQS → worker → DynamoDB → status handler)
 * against the emulator, with the generated fixtures. Outputs are read back from S3 and decoded.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningEventSource } from "../../infra/local-event-source.ts";
import type { TaskView } from "../../lib/domain/task.ts";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import { createWorkerHandler } from "../../lib/handlers/worker.ts";
import type { BlobStore, PutBlobOptions } from "../../lib/ports.ts";
import { createThumbnails } from "../../lib/task-types/thumbnail/handler.ts";
import { thumbnailInput } from "../../lib/task-types/thumbnail/schema.ts";
import type { SqsHandler } from "../../infra/local-event-source.ts";
import { httpEvent, jsonRequest } from "../support/events.ts";
import * as fixtures from "../support/images.ts";
import { createTestStack, TEST_TENANT, type TestStack } from "../support/stack.ts";
import { eventually } from "../support/wait.ts";

interface Rendition {
  name: string;
  key: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  url: string;
}

let stack: TestStack;
let worker: RunningEventSource;

beforeAll(async () => {
  stack = await createTestStack();
  worker = stack.startWorker();
});

afterAll(async () => {
  await worker?.stop();
});

function body<T>(response: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(response.body ?? "null") as T;
}

let uploads = 0;
async function upload(bytes: Buffer, contentType = "image/jpeg"): Promise<string> {
  const key = `uploads/${TEST_TENANT}/test-${++uploads}-${Date.now()}/fixture`;
  await stack.deps.services.blobs.put(key, bytes, { contentType });
  return key;
}

async function runThumbnail(input: Record<string, unknown>, on: TestStack = stack): Promise<TaskView> {
  const enqueue = on.authorized(createEnqueueHandler(() => on.deps));
  const status = on.authorized(createStatusHandler(() => on.deps));
  const response = await enqueue(jsonRequest("/tasks", { type: "thumbnail", input }));
  expect(response.statusCode, response.body).toBe(202);
  const { id } = body<TaskView>(response);
  return eventually(
    async () => {
      const view = body<TaskView>(await status(httpEvent({ method: "GET", path: `/tasks/${id}`, pathParameters: { id } })));
      return view.status === "succeeded" || view.status === "failed" ? view : undefined;
    },
    { what: `thumbnail task ${id} to finish`, timeoutMs: 30_000 },
  );
}

function renditionsOf(view: TaskView): Rendition[] {
  expect(view.status, JSON.stringify(view.error)).toBe("succeeded");
  return (view.result as { renditions: Rendition[] }).renditions;
}

async function stored(key: string): Promise<Buffer> {
  const bytes = await stack.deps.services.blobs.get(key);
  expect(bytes, key).toBeDefined();
  return bytes!;
}

async function keysUnder(prefix: string, on: TestStack = stack): Promise<string[]> {
  const listed = await on.clients.s3.send(new ListObjectsV2Command({ Bucket: on.config.resultsBucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

describe("thumbnail: renditions", () => {
  it("makes the four default JPEG renditions of a large photo, each decodable at its planned size", async () => {
    const source = await upload(await fixtures.largeJpeg(2400, 1600));

    const view = await runThumbnail({ source });

    const renditions = renditionsOf(view);
    expect(view.attempt).toBe(1);
    expect(renditions.map(({ name, width, height, format }) => [name, width, height, format])).toEqual([
      ["large", 1600, 1067, "jpeg"],
      ["medium", 800, 533, "jpeg"],
      ["small", 400, 267, "jpeg"],
      ["thumb", 150, 150, "jpeg"],
    ]);
    for (const rendition of renditions) {
      expect(rendition.key).toBe(`results/${TEST_TENANT}/${view.id}/${rendition.name}.jpg`);
      const bytes = await stored(rendition.key);
      expect(bytes.length).toBe(rendition.bytes);
      const metadata = await sharp(bytes).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual(["jpeg", rendition.width, rendition.height]);
      expect(metadata.exif).toBeUndefined();
    }
    const head = await stack.deps.services.blobs.head(renditions[0]!.key);
    expect(head?.contentType).toBe("image/jpeg");
  });

  it("honours EXIF orientation: a 600x400 image tagged 'rotate 90° clockwise' comes out 400x600, red on top", async () => {
    const source = await upload(await fixtures.exifRotatedJpeg());

    const [large, , , thumb] = renditionsOf(await runThumbnail({ source }));

    expect([large!.width, large!.height]).toEqual([400, 600]);
    const bytes = await stored(large!.key);
    const top = await fixtures.pixelAt(bytes, 200, 50);
    const bottom = await fixtures.pixelAt(bytes, 200, 550);
    expect(top[0]).toBeGreaterThan(180); // red
    expect(top[2]).toBeLessThan(80);
    expect(bottom[2]).toBeGreaterThan(180); // blue
    expect(bottom[0]).toBeLessThan(80);
    expect((await sharp(bytes).metadata()).orientation).toBeUndefined();
    expect([thumb!.width, thumb!.height]).toEqual([150, 150]);
  });

  it("converts a CMYK JPEG to sRGB and tags it with an sRGB profile", async () => {
    const source = await upload(await fixtures.cmykJpeg());

    const [large] = renditionsOf(await runThumbnail({ source }));

    const bytes = await stored(large!.key);
    const metadata = await sharp(bytes).metadata();
    expect([metadata.space, metadata.channels, metadata.hasProfile]).toEqual(["srgb", 3, true]);
    const left = await fixtures.pixelAt(bytes, 100, 300);
    expect(left[0]).toBeGreaterThan(150);
    expect(left[2]).toBeLessThan(100);
  });

  it("flattens alpha onto white for JPEG", async () => {
    const source = await upload(await fixtures.pngWithAlpha(), "image/png");

    const [large] = renditionsOf(await runThumbnail({ source }));

    const bytes = await stored(large!.key);
    expect((await sharp(bytes).metadata()).channels).toBe(3);
    expect(await fixtures.pixelAt(bytes, 700, 300)).toEqual([255, 255, 255].map(() => expect.toSatisfy((v: number) => v > 245)));
  });

  it("keeps alpha for WebP, at the quality asked for", async () => {
    const source = await upload(await fixtures.pngWithAlpha(), "image/png");

    const renditions = renditionsOf(await runThumbnail({ source, format: "webp", quality: 90 }));

    expect(renditions.every((rendition) => rendition.key.endsWith(".webp") && rendition.format === "webp")).toBe(true);
    const bytes = await stored(renditions[0]!.key);
    const metadata = await sharp(bytes).metadata();
    expect([metadata.format, metadata.hasAlpha]).toEqual(["webp", true]);
    expect((await fixtures.pixelAt(bytes, 700, 300))[3]).toBe(0);
    expect((await fixtures.pixelAt(bytes, 100, 300))[3]).toBe(255);
  });

  it("makes AVIF renditions when asked", async () => {
    const source = await upload(await fixtures.webp(), "image/webp");

    const renditions = renditionsOf(
      await runThumbnail({ source, format: "avif", renditions: [{ name: "card", fit: "cover", width: 320, height: 180 }] }),
    );

    expect(renditions).toHaveLength(1);
    const metadata = await sharp(await stored(renditions[0]!.key)).metadata();
    expect([metadata.format, metadata.compression, metadata.width, metadata.height]).toEqual(["heif", "av1", 320, 180]);
  });

  it("takes the first frame of an animated GIF as a still", async () => {
    const source = await upload(await fixtures.animatedGif(), "image/gif");

    const [large] = renditionsOf(await runThumbnail({ source }));

    const bytes = await stored(large!.key);
    const metadata = await sharp(bytes).metadata();
    expect([metadata.format, metadata.width, metadata.height, metadata.pages]).toEqual(["jpeg", 300, 200, undefined]);
    const pixel = await fixtures.pixelAt(bytes, 150, 100);
    expect(pixel[0]).toBeGreaterThan(180); // the first frame is red
    expect(pixel[1]).toBeLessThan(80);
  });

  it("never scales up a tiny image; its square is a centre crop", async () => {
    const source = await upload(await fixtures.tinyPng(64, 40), "image/png");

    const renditions = renditionsOf(await runThumbnail({ source }));

    expect(renditions.map(({ width, height }) => [width, height])).toEqual([
      [64, 40],
      [64, 40],
      [64, 40],
      [40, 40],
    ]);
    const metadata = await sharp(await stored(renditions[3]!.key)).metadata();
    expect([metadata.width, metadata.height]).toEqual([40, 40]);
  });
});

describe("thumbnail: bad input fails at the first attempt, leaving nothing behind", () => {
  it.each([
    ["a zero-byte file", async () => Buffer.alloc(0), "image/jpeg", "empty_source"],
    ["a truncated JPEG", fixtures.truncatedJpeg, "image/jpeg", "corrupt_image"],
    ["a text file named .jpg", async () => fixtures.textFile(), "image/jpeg", "not_an_image"],
    ["a pixel bomb (20000x20000 PNG)", async () => fixtures.pixelBombPng(), "image/png", "pixel_limit_exceeded"],
    ["an image stored as text/plain", fixtures.tinyPng, "text/plain", "unsupported_content_type"],
  ])("%s", async (_, make, contentType, code) => {
    const source = await upload(await make(), contentType);

    const view = await runThumbnail({ source });

    expect(view.status).toBe("failed");
    expect(view.attempt).toBe(1);
    expect(view.error).toMatchObject({ code, retryable: false });
    expect(view.error?.message.length).toBeGreaterThan(20);
    expect(await keysUnder(`results/${TEST_TENANT}/${view.id}/`)).toEqual([]);
  });

  it("HEIC, with an error naming the format", async () => {
    const view = await runThumbnail({ source: await upload(fixtures.heic(), "image/heic") });

    expect(view).toMatchObject({ status: "failed", attempt: 1, error: { code: "unsupported_format", retryable: false } });
    expect(view.error?.message).toContain("HEIC");
    expect(await keysUnder(`results/${TEST_TENANT}/${view.id}/`)).toEqual([]);
  });

  it("a missing source", async () => {
    const view = await runThumbnail({ source: `uploads/${TEST_TENANT}/never-uploaded/photo.jpg` });

    expect(view).toMatchObject({ status: "failed", attempt: 1, error: { code: "source_not_found", retryable: false } });
  });

  it("names the limit in the pixel-bomb error", async () => {
    const view = await runThumbnail({ source: await upload(fixtures.pixelBombPng(), "image/png") });

    expect(view.error?.message).toContain("20000x20000");
    expect(view.error?.message).toContain("100 MP");
  });
});

describe("thumbnail: storage failures", () => {
  /**
   * The real S3 store with a fault injected at the port: writes fail while `failWrite` says so. Every write's key
   * and options are recorded (the emulator keeps no Cache-Control to read back).
   */
  function flakyBlobs(real: BlobStore, failWrite: (key: string) => boolean, writes: [string, PutBlobOptions][] = []): BlobStore {
    const put: BlobStore["put"] = async (key, body, options) => {
      writes.push([key, options]);
      if (failWrite(key)) throw Object.assign(new Error("SlowDown: Please reduce your request rate."), { name: "SlowDown" });
      return real.put(key, body, options);
    };
    return new Proxy(real, {
      get(target, property, receiver) {
        if (property === "put") return put;
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  function run(source: string, taskId: string, blobs: BlobStore, input: Record<string, unknown> = {}) {
    return createThumbnails(thumbnailInput.parse({ source, ...input }), {
      taskId,
      tenant: TEST_TENANT,
      signal: new AbortController().signal,
      services: { ...stack.deps.services, blobs },
    });
  }

  it("writes every rendition with its Content-Type and a long, immutable Cache-Control", async () => {
    const source = await upload(await fixtures.tinyPng(), "image/png");
    const writes: [string, PutBlobOptions][] = [];

    await run(source, "01J0RECORDWR1TES00000TASK1", flakyBlobs(stack.deps.services.blobs, () => false, writes), { format: "webp" });

    expect(writes.map(([key]) => key).sort()).toEqual(
      ["large", "medium", "small", "thumb"].map((name) => `results/${TEST_TENANT}/01J0RECORDWR1TES00000TASK1/${name}.webp`),
    );
    for (const [, options] of writes) {
      expect(options.contentType).toBe("image/webp");
      expect(options.cacheControl).toBe("public, max-age=31536000, immutable");
    }
  });

  it("a failed write is retryable, and the renditions already written are deleted", async () => {
    const source = await upload(await fixtures.largeJpeg(1200, 800));
    const taskId = "01J0FLAKYWR1TE0000000TASK1";

    const attempt = run(source, taskId, flakyBlobs(stack.deps.services.blobs, (key) => key.endsWith("/thumb.jpg")));

    await expect(attempt).rejects.toMatchObject({ code: "storage_unavailable", retryable: true });
    expect(await keysUnder(`results/${TEST_TENANT}/${taskId}/`)).toEqual([]);
  });

  it("a transient write failure is retried by the pipeline and the next attempt succeeds", async () => {
    // A stack of its own, whose only worker writes through the flaky store.
    const flaky = await createTestStack();
    let failures = 0;
    const blobs = flakyBlobs(flaky.deps.services.blobs, (key) => key.startsWith("results/") && failures++ === 0);
    const deps = { ...flaky.deps, services: { ...flaky.deps.services, blobs } };
    const flakyWorker = flaky.startWorker({ handler: createWorkerHandler(() => deps) as unknown as SqsHandler });
    try {
      const source = `uploads/${TEST_TENANT}/flaky/photo.jpg`;
      await flaky.deps.services.blobs.put(source, await fixtures.largeJpeg(1200, 800), { contentType: "image/jpeg" });

      const view = await runThumbnail({ source }, flaky);

      expect(view.status).toBe("succeeded");
      expect(view.attempt).toBe(2);
      expect(failures).toBeGreaterThan(1);
      expect(await keysUnder(`results/${TEST_TENANT}/${view.id}/`, flaky)).toHaveLength(4);
    } finally {
      await flakyWorker.stop();
    }
  });
});
