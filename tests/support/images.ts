/**
 * Image fixtures, generated with sharp on demand (nothing binary is committed). Each is small except where the case
 * needs size; the pixel bomb is a valid PNG declaring 20000x20000 pixels in about 50 KB.
 */
import { readFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";

const RED = { r: 220, g: 20, b: 20 };
const BLUE = { r: 20, g: 20, b: 220 };

/** A photo-like JPEG (smooth noise, so it compresses like a photo rather than a flat colour). */
export async function largeJpeg(width = 2400, height = 1600, quality = 85): Promise<Buffer> {
  return (await smoothScene(width, height)).jpeg({ quality }).toBuffer();
}

/** Smooth noise at an eighth of the size, scaled up: a photo's gentle gradients, as a sharp pipeline. */
async function smoothScene(width: number, height: number): Promise<ReturnType<typeof sharp>> {
  const noise = await sharp({
    create: {
      width: Math.ceil(width / 8),
      height: Math.ceil(height / 8),
      channels: 3,
      background: "#808080",
      noise: { type: "gaussian", mean: 128, sigma: 50 },
    },
  })
    .png()
    .toBuffer();
  return sharp(noise).resize(width, height, { fit: "fill", kernel: "cubic" });
}

/**
 * A camera-sized JPEG: a smooth scene (as largeJpeg) with per-pixel sensor grain, saved at quality 95 without chroma
 * subsampling, as cameras save their best JPEGs. Grain does not compress, so at 6000x4000 (24 MP) the file is about
 * 23 MB — under the 25 MiB upload limit, over fauxqs' 11 MiB. Deterministic (fixed seed); about 3 s to make.
 */
export async function cameraJpeg(width = 6000, height = 4000): Promise<Buffer> {
  const pixels = await (await smoothScene(width, height)).raw().toBuffer();
  let state = 0x9e3779b9; // xorshift32: fast, and the same file every run
  for (let i = 0; i < pixels.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const grain = ((state & 0xff) + ((state >>> 8) & 0xff)) / 255 - 1; // triangular, -1..1
    pixels[i] = Math.min(255, Math.max(0, pixels[i]! + grain * 16));
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95, chromaSubsampling: "4:4:4" }).toBuffer();
}

/**
 * Stored 600x400 (left half red, right half blue) with EXIF orientation 6: displayed rotated 90° clockwise, i.e.
 * 400x600 with red on top and blue below.
 */
export async function exifRotatedJpeg(): Promise<Buffer> {
  return sharp(await halves(600, 400, RED, BLUE))
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A CMYK JPEG, as print workflows export (with sharp's CMYK profile embedded). */
export async function cmykJpeg(width = 900, height = 600): Promise<Buffer> {
  return sharp(await halves(width, height, RED, BLUE))
    .withIccProfile("cmyk")
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** 800x600 RGBA: left half opaque red, right half fully transparent. */
export async function pngWithAlpha(): Promise<Buffer> {
  const width = 800;
  const height = 600;
  const pixels = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width / 2; x++) {
      pixels.set([RED.r, RED.g, RED.b, 255], (y * width + x) * 4);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

/** Three frames, 300x200 each: red, green, blue. The first frame is red. */
export async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all(
    [RED, { r: 20, g: 200, b: 20 }, BLUE].map((background) =>
      sharp({ create: { width: 300, height: 200, channels: 3, background } }).png().toBuffer(),
    ),
  );
  return sharp(frames, { join: { animated: true } }).gif({ delay: 100, loop: 0 }).toBuffer();
}

export async function webp(width = 1200, height = 900): Promise<Buffer> {
  return sharp(await halves(width, height, RED, BLUE)).webp({ quality: 80 }).toBuffer();
}

/** Smaller than every default rendition, even the 150x150 square. */
export async function tinyPng(width = 64, height = 40): Promise<Buffer> {
  return sharp(await halves(width, height, RED, BLUE)).png().toBuffer();
}

/** The first third of a valid JPEG. */
export async function truncatedJpeg(): Promise<Buffer> {
  const whole = await largeJpeg(1200, 800);
  return whole.subarray(0, Math.floor(whole.length / 3));
}

/** A 64x48 HEIC (HEVC-coded HEIF, as iPhones save photos), carried by the repo: see tests/fixtures/README.md. */
export function heic(): Buffer {
  return readFileSync(new URL("../fixtures/tiny.heic", import.meta.url));
}

export function textFile(): Buffer {
  return Buffer.from("This is not an image, whatever its name says.\n".repeat(20));
}

/**
 * A valid PNG of `size`x`size` 1-bit grey pixels, all black: 20000x20000 (400 MP) deflates to about 50 KB. Built by
 * hand, since encoding it through an image library would mean holding the pixels.
 */
export function pixelBombPng(size = 20_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter method, no interlace
  const rowBytes = 1 + Math.ceil(size / 8); // filter byte + packed pixels
  const image = deflateSync(Buffer.alloc(rowBytes * size), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", image),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** Raw RGB: left half `left`, right half `right`. */
async function halves(width: number, height: number, left: typeof RED, right: typeof RED): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = x < width / 2 ? left : right;
      pixels.set([colour.r, colour.g, colour.b], (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** The RGB(A) of one pixel of an encoded image. */
export async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [...data.subarray(offset, offset + info.channels)];
}
