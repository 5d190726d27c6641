/**
 * Rendition planning, pure: from the source's displayed size (after EXIF orientation) and the renditions asked for,
 * the exact output size of each rendition, and the one intermediate size ("master") every rendition can be derived
 * from. Nothing is ever scaled up.
 */
import { taskResultsPrefix } from "../../domain/uploads.ts";
import type { OutputFormat, RenditionSpec } from "./schema.ts";

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface PlannedRendition {
  readonly name: string;
  readonly fit: RenditionSpec["fit"];
  /** Exact output size. */
  readonly width: number;
  readonly height: number;
}

export interface RenditionPlan {
  /**
   * The size the source is decoded to, once: the largest any rendition needs (never more than the source). JPEG
   * and WebP decoders shrink while decoding, so a 12 MP photo is never fully decoded for a 1600 px rendition.
   */
  readonly master: Size;
  readonly renditions: readonly PlannedRendition[];
}

/** Plans every rendition of a `source`-sized image. */
export function planRenditions(source: Size, specs: readonly RenditionSpec[]): RenditionPlan {
  assertSize(source);
  const renditions = specs.map((spec) => planRendition(source, spec));
  const scale = Math.max(...specs.map((spec) => requiredScale(source, spec)));
  return { master: scaled(source, scale), renditions };
}

function planRendition(source: Size, spec: RenditionSpec): PlannedRendition {
  if (spec.fit === "inside") {
    return { name: spec.name, fit: spec.fit, ...scaled(source, requiredScale(source, spec)) };
  }
  // cover: the largest centred region with the box's aspect ratio, scaled down to the box if it is larger.
  const aspect = spec.width / spec.height;
  const region =
    source.width / source.height > aspect
      ? { width: clampEdge(source.height * aspect, source.width), height: source.height }
      : { width: source.width, height: clampEdge(source.width / aspect, source.height) };
  const size = region.width > spec.width ? { width: spec.width, height: spec.height } : region;
  return { name: spec.name, fit: spec.fit, ...size };
}

/** The factor (≤ 1) the source must be scaled by for this rendition. */
function requiredScale(source: Size, spec: RenditionSpec): number {
  const toWidth = spec.width / source.width;
  const toHeight = spec.height / source.height;
  return Math.min(1, spec.fit === "inside" ? Math.min(toWidth, toHeight) : Math.max(toWidth, toHeight));
}

function scaled(source: Size, scale: number): Size {
  if (scale >= 1) return { width: source.width, height: source.height };
  return { width: clampEdge(source.width * scale, source.width), height: clampEdge(source.height * scale, source.height) };
}

function clampEdge(value: number, max: number): number {
  return Math.min(max, Math.max(1, Math.round(value)));
}

function assertSize(size: Size): void {
  if (!(Number.isInteger(size.width) && Number.isInteger(size.height) && size.width > 0 && size.height > 0)) {
    throw new RangeError(`Invalid source size ${size.width}x${size.height}.`);
  }
}

/** Source size as displayed: EXIF orientations 5–8 rotate by 90°, swapping width and height. */
export function orientedSize(stored: Size, orientation: number | undefined): Size {
  return orientation !== undefined && orientation >= 5 && orientation <= 8
    ? { width: stored.height, height: stored.width }
    : { width: stored.width, height: stored.height };
}

/** File extension and Content-Type of each output format. */
export const FORMAT_FILES: Readonly<Record<OutputFormat, { readonly extension: string; readonly contentType: string }>> = {
  jpeg: { extension: "jpg", contentType: "image/jpeg" },
  webp: { extension: "webp", contentType: "image/webp" },
  avif: { extension: "avif", contentType: "image/avif" },
};

/**
 * `results/<tenant>/<taskId>/<rendition>.<ext>`: deterministic, so a retry overwrites what an earlier attempt wrote.
 */
export function renditionKey(task: { tenant: string; taskId: string }, name: string, format: OutputFormat): string {
  return `${taskResultsPrefix(task)}${name}.${FORMAT_FILES[format].extension}`;
}
