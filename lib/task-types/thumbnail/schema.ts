/** The `thumbnail` task's input, its defaults and its limits. Validated at enqueue: bad input is a 400. */
import { z } from "zod";
import { isUploadKey, UPLOADS_PREFIX } from "../../domain/uploads.ts";

/** Largest decoded image accepted: 100 megapixels (e.g. 12 000 × 8 333). Larger inputs are refused as pixel bombs. */
export const MAX_INPUT_PIXELS = 100_000_000;
/** Largest rendition edge that may be asked for. */
export const MAX_RENDITION_EDGE = 4096;
export const MAX_RENDITIONS = 8;

export const OUTPUT_FORMATS = ["jpeg", "webp", "avif"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Quality when the input names none: each encoder's own sweet spot (AVIF reaches JPEG 82's look much lower). */
export const DEFAULT_QUALITY: Readonly<Record<OutputFormat, number>> = { jpeg: 82, webp: 80, avif: 55 };
/** Below 30 every encoder shows blocks; 100 is the encoders' maximum. */
export const QUALITY_RANGE = { min: 30, max: 100 } as const;

const edge = z.number().int().min(1).max(MAX_RENDITION_EDGE);

const rendition = z
  .object({
    /** Names the output file: `results/<taskId>/<name>.<ext>`. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "a rendition name is 1–32 characters of a-z, 0-9, _ and -, starting with a letter or digit"),
    /**
     * `inside`: scale to fit within width × height, keeping the aspect ratio (equal edges give a long-edge fit).
     * `cover`: crop to width × height's aspect ratio around the centre, then scale to it.
     */
    fit: z.enum(["inside", "cover"]).default("inside"),
    width: edge,
    height: edge,
  })
  .strict();

export type RenditionSpec = z.output<typeof rendition>;

/** The gallery classic: three long-edge fits and a square thumbnail. */
export const DEFAULT_RENDITIONS: readonly RenditionSpec[] = Object.freeze([
  { name: "large", fit: "inside", width: 1600, height: 1600 },
  { name: "medium", fit: "inside", width: 800, height: 800 },
  { name: "small", fit: "inside", width: 400, height: 400 },
  { name: "thumb", fit: "cover", width: 150, height: 150 },
]);

export const thumbnailInput = z
  .object({
    /** An object uploaded through `POST /uploads`: only keys under `uploads/` are accepted. */
    source: z
      .string()
      .refine(isUploadKey, { message: `source must be an object key under ${UPLOADS_PREFIX} (from POST /uploads)` }),
    renditions: z
      .array(rendition)
      .min(1)
      .max(MAX_RENDITIONS)
      .refine((list) => new Set(list.map((r) => r.name)).size === list.length, { message: "rendition names must be unique" })
      .optional(),
    format: z.enum(OUTPUT_FORMATS).default("jpeg"),
    quality: z.number().int().min(QUALITY_RANGE.min).max(QUALITY_RANGE.max).optional(),
  })
  .strict()
  .transform((input) => ({
    source: input.source,
    renditions: input.renditions ?? DEFAULT_RENDITIONS,
    format: input.format,
    quality: input.quality ?? DEFAULT_QUALITY[input.format],
  }));

export type ThumbnailInput = z.output<typeof thumbnailInput>;
