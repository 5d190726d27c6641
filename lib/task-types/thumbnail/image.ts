/**
 * The image work, on sharp (libvips): read the header, decode once to the master size, derive each rendition.
 * sharp is imported on first use, so the HTTP functions that only validate thumbnail inputs never load libvips.
 */
import type { FormatEnum, Metadata, Sharp } from "sharp";
import { NonRetriableError } from "../../domain/errors.ts";
import type { PlannedRendition, Size } from "./plan.ts";
import { orientedSize } from "./plan.ts";
import { MAX_INPUT_PIXELS, type OutputFormat } from "./schema.ts";

type SharpFactory = typeof import("sharp").default;
let sharpLoading: Promise<SharpFactory> | undefined;

/** The sharp module, loaded once. */
export function loadSharp(): Promise<SharpFactory> {
  sharpLoading ??= import("sharp").then((module) => module.default);
  return sharpLoading;
}

/** Input formats decoded. HEIF is accepted only when AV1-coded (AVIF); sharp's own binaries carry no HEVC decoder. */
const DECODABLE = new Set<keyof FormatEnum>(["jpeg", "png", "webp", "gif", "tiff", "heif"]);

export interface SourceImage {
  /** Detected from the bytes, not from the declared content type: jpeg, png, webp, gif, tiff or avif. */
  readonly format: string;
  /** As displayed, after EXIF orientation. */
  readonly size: Size;
  readonly hasAlpha: boolean;
  readonly hasProfile: boolean;
}

/** Reads the header only (no pixel is decoded) and refuses what will not be decoded. */
export async function inspectImage(bytes: Buffer): Promise<SourceImage> {
  const sharp = await loadSharp();
  let metadata: Metadata;
  try {
    // Header only: safe without a pixel limit, and it lets the limit below name the declared size.
    metadata = await sharp(bytes, { pages: 1, limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new NonRetriableError(
      "not_an_image",
      `The source is not an image in a readable format (${messageOf(cause)}). Accepted: JPEG, PNG, WebP, GIF, AVIF, TIFF.`,
      { cause },
    );
  }
  const format = metadata.format as string | undefined;
  if (format === "heif" && metadata.compression === "hevc") {
    throw new NonRetriableError(
      "unsupported_format",
      "The source is HEIC (HEVC-coded HEIF, as iPhones save photos), which this deployment cannot decode: sharp's " +
        "prebuilt libvips has no HEVC decoder. Convert it to JPEG first (or set the iPhone to 'Most Compatible').",
      { details: { format: "heic" } },
    );
  }
  if (!format || !DECODABLE.has(format as keyof FormatEnum)) {
    throw new NonRetriableError(
      "unsupported_format",
      `The source is ${format ?? "an unknown format"}, which is not accepted. Accepted: JPEG, PNG, WebP, GIF, AVIF, TIFF.`,
      { details: { format } },
    );
  }
  const stored = { width: metadata.width, height: metadata.pageHeight ?? metadata.height };
  if (!(stored.width > 0 && stored.height > 0)) {
    throw new NonRetriableError("corrupt_image", "The source's header declares no usable width and height.");
  }
  if (stored.width * stored.height > MAX_INPUT_PIXELS) {
    throw pixelLimitError(stored);
  }
  return {
    format: format === "heif" ? "avif" : format,
    size: orientedSize(stored, metadata.orientation),
    hasAlpha: metadata.hasAlpha,
    hasProfile: metadata.hasProfile,
  };
}

/** Decoded pixels at the master size: 8-bit sRGB, with alpha unless it was flattened. */
export interface MasterImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/**
 * The one decode: first frame or page, EXIF-oriented, converted to sRGB through the embedded profile (CMYK, Adobe
 * RGB, Display P3...), scaled to `size` (JPEG and WebP shrink while decoding), alpha flattened on white if asked.
 */
export async function decodeMaster(bytes: Buffer, size: Size, options: { flatten: boolean }): Promise<MasterImage> {
  const sharp = await loadSharp();
  try {
    let pipeline = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, pages: 1, page: 0, failOn: "warning", autoOrient: true })
      .resize(size.width, size.height, { fit: "fill" });
    if (options.flatten) pipeline = pipeline.flatten({ background: "#ffffff" });
    const { data, info } = await pipeline.toColourspace("srgb").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (cause) {
    if (/pixel limit/i.test(messageOf(cause))) throw pixelLimitError(size, cause);
    throw new NonRetriableError(
      "corrupt_image",
      `The source could not be decoded; it is truncated or corrupt (${messageOf(cause)}).`,
      { cause },
    );
  }
}

export interface EncodedRendition {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/** A view of the master that each rendition clones: the master's pixels are shared, not decoded again. */
export async function masterPipeline(master: MasterImage): Promise<Sharp> {
  const sharp = await loadSharp();
  return sharp(master.data, { raw: { width: master.width, height: master.height, channels: master.channels } });
}

/**
 * Scales (and for `cover`, centre-crops) a clone of the master to the planned size and encodes it. Metadata is
 * stripped; when the source carried a colour profile the output is tagged sRGB, which its pixels now are.
 */
export async function encodeRendition(
  master: Sharp,
  rendition: PlannedRendition,
  output: { format: OutputFormat; quality: number; tagSrgb: boolean },
): Promise<EncodedRendition> {
  let pipeline = master
    .clone()
    .resize(rendition.width, rendition.height, { fit: rendition.fit === "cover" ? "cover" : "fill", position: "centre" });
  if (output.tagSrgb) pipeline = pipeline.withIccProfile("srgb");
  pipeline =
    output.format === "jpeg"
      ? pipeline.jpeg({ quality: output.quality })
      : output.format === "webp"
        ? pipeline.webp({ quality: output.quality })
        : pipeline.avif({ quality: output.quality });
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function pixelLimitError(size: Size, cause?: unknown): NonRetriableError {
  return new NonRetriableError(
    "pixel_limit_exceeded",
    `The source declares ${size.width}x${size.height} pixels (${((size.width * size.height) / 1e6).toFixed(1)} MP); ` +
      `the limit is ${MAX_INPUT_PIXELS / 1e6} MP. Images this large are refused as possible decompression bombs.`,
    { details: { width: size.width, height: size.height, maxPixels: MAX_INPUT_PIXELS }, cause },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
