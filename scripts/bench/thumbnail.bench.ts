/**
 * thumbnail: per-image time of the real handler (default renditions, JPEG) on one 12 MP JPEG (4000x3000), against
 * two sharp baselines doing the same renditions to memory in the same run:
 * - raw: decode once (shrinking while decoding to the largest rendition) and clone the decoded pixels per rendition,
 *   the best sharp alone does; the handler adds its checks, planning and the (in-memory) storage calls;
 * - naive: one sharp pipeline per rendition from the JPEG bytes, i.e. a decode per rendition (what `clone()` of an
 *   undecoded input amounts to, measured too for reference).
 * The handler writes to an in-memory BlobStore, so S3 time is left out of every figure.
 */
import sharp from "sharp";
import { createThumbnails } from "../../lib/task-types/thumbnail/handler.ts";
import { thumbnailInput } from "../../lib/task-types/thumbnail/schema.ts";
import type { BenchCase } from "../bench.ts";
import { MemoryBlobStore } from "./support/memory-blob-store.ts";

const WIDTH = 4000;
const HEIGHT = 3000;
const QUALITY = 82;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const SPECS = [
  { width: 1600, height: 1600, fit: "inside" as const },
  { width: 800, height: 800, fit: "inside" as const },
  { width: 400, height: 400, fit: "inside" as const },
  { width: 150, height: 150, fit: "cover" as const },
];

/** A photo-like 12 MP JPEG: smooth noise, about 4–5 MB at quality 90. */
async function photo(): Promise<Buffer> {
  const noise = await sharp({
    create: { width: WIDTH / 8, height: HEIGHT / 8, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 50 } },
  })
    .png()
    .toBuffer();
  return sharp(noise).resize(WIDTH, HEIGHT, { fit: "fill", kernel: "cubic" }).modulate({ saturation: 1.3 }).jpeg({ quality: 90 }).toBuffer();
}

async function rawOnce(jpeg: Buffer): Promise<Buffer[]> {
  const { data, info } = await sharp(jpeg, { autoOrient: true })
    .resize(1600, 1200, { fit: "fill" })
    .toColourspace("srgb")
    .raw()
    .toBuffer({ resolveWithObject: true });
  const master = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  return Promise.all(
    SPECS.map((spec) => master.clone().resize(spec.width, spec.height, { fit: spec.fit }).jpeg({ quality: QUALITY }).toBuffer()),
  );
}

async function naive(jpeg: Buffer): Promise<Buffer[]> {
  return Promise.all(
    SPECS.map((spec) =>
      sharp(jpeg, { autoOrient: true }).resize(spec.width, spec.height, { fit: spec.fit }).jpeg({ quality: QUALITY }).toBuffer(),
    ),
  );
}

async function cloneOfInput(jpeg: Buffer): Promise<Buffer[]> {
  const input = sharp(jpeg, { autoOrient: true });
  return Promise.all(
    SPECS.map((spec) => input.clone().resize(spec.width, spec.height, { fit: spec.fit }).jpeg({ quality: QUALITY }).toBuffer()),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const bench: BenchCase = {
  name: `thumbnail: 4 renditions of a ${WIDTH}x${HEIGHT} JPEG (${ROUNDS} rounds, median per image)`,
  async run() {
    const jpeg = await photo();
    const blobs = new MemoryBlobStore();
    // An upload of the tenant `bench`, where POST /uploads would put it (uploads/<tenant>/…).
    await blobs.put("uploads/bench/photo.jpg", jpeg, { contentType: "image/jpeg" });
    const input = thumbnailInput.parse({ source: "uploads/bench/photo.jpg" });
    let task = 0;
    const handler = async () => {
      const result = await createThumbnails(input, {
        taskId: `BENCH${task++}`,
        tenant: "bench",
        signal: new AbortController().signal,
        services: { blobs },
      });
      if (result.renditions.length !== SPECS.length) throw new Error("the handler made the wrong renditions");
    };
    const cases: Record<string, () => Promise<unknown>> = {
      handler,
      raw: () => rawOnce(jpeg),
      naive: () => naive(jpeg),
      "clone of input": () => cloneOfInput(jpeg),
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
    for (const run of Object.values(cases)) await run(); // warm-up: load libvips, fill caches
    // Interleaved rounds, so drift on a shared machine hits every case alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(cases)) {
        const start = performance.now();
        await run();
        times[name]!.push(performance.now() - start);
      }
    }
    const ms = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)])) as Record<string, number>;
    console.log(`source: ${(jpeg.length / 1e6).toFixed(1)} MB JPEG, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);
    for (const [name, value] of Object.entries(ms)) console.log(`${name.padEnd(16)} ${value.toFixed(1).padStart(8)} ms/image`);
    console.log(`handler / raw            ${(ms.handler! / ms.raw!).toFixed(2)}x   (target <= 1.15x)`);
    console.log(`handler / naive          ${(ms.handler! / ms.naive!).toFixed(2)}x   (target: clearly below 1)`);
    console.log(`handler / clone of input ${(ms.handler! / ms["clone of input"]!).toFixed(2)}x`);
  },
};

export default bench;
