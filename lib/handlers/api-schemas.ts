/**
 * The zod schemas of the status API: what the handlers validate query strings with, and what they answer. The
 * OpenAPI document (lib/handlers/openapi.ts) is generated from these same schemas.
 */
import { z } from "zod";
import { ALL_STATUSES, type TaskStatus } from "../domain/status.ts";

/** Longest `?wait=` accepted: keeps a request well under API Gateway's 29–30 s integration limit. */
export const MAX_WAIT_SECONDS = 20;
export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

const decimal = (what: string) => z.string().regex(/^\d+(\.\d+)?$/, `${what} must be a non-negative number`);

export const resultQuery = z.object({
  file: z
    .string()
    .max(256)
    .optional()
    .meta({ description: "With several files (e.g. renditions): redirect to the one of this name." }),
  token: z.string().max(512).optional().meta({ description: "A watch token, for links and <img> (no header)." }),
});

export const statusQuery = z.object({
  /** Long polling: hold the request up to this many seconds until the task changes. */
  wait: decimal("wait")
    .transform(Number)
    .pipe(z.number().max(MAX_WAIT_SECONDS, `wait is at most ${MAX_WAIT_SECONDS} seconds`))
    .optional()
    .meta({ description: `Seconds (≤ ${MAX_WAIT_SECONDS}) to hold the request until the task changes.` }),
});

export const listQuery = z.object({
  status: z
    .enum(ALL_STATUSES as [TaskStatus, ...TaskStatus[]])
    .optional()
    .meta({ description: "Only tasks in this status." }),
  type: z
    .string()
    .regex(/^[a-z0-9_-]{1,64}$/, "type is 1–64 characters of a-z, 0-9, _ and -")
    .optional()
    .meta({ description: "Only tasks of this type." }),
  limit: z
    .string()
    .regex(/^\d+$/, "limit must be an integer")
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_LIST_LIMIT, `limit is at most ${MAX_LIST_LIMIT}`))
    .optional()
    .meta({ description: `Page size, 1–${MAX_LIST_LIMIT} (default ${DEFAULT_LIST_LIMIT}).` }),
  cursor: z
    .string()
    .max(2048)
    .optional()
    .meta({ description: "The `nextCursor` of the previous page." }),
});

export const taskStatusSchema = z.enum(ALL_STATUSES as [TaskStatus, ...TaskStatus[]]);

export const taskErrorSchema = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() });

export const progressSchema = z.object({
  percent: z.number().optional(),
  message: z.string().optional(),
  current: z.number().optional(),
  total: z.number().optional(),
});

export const taskViewSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    status: taskStatusSchema,
    attempt: z.number().int(),
    maxAttempts: z.number().int(),
    progress: progressSchema.nullable(),
    result: z.unknown().meta({ description: "The task type's result, with download URLs where it wrote files." }),
    error: taskErrorSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    nextRunAt: z.string().nullable(),
    runAt: z.string().nullable().meta({ description: "A scheduled task's run time." }),
    expiresAt: z.string(),
    links: z.object({ self: z.string(), events: z.string(), result: z.string() }),
    watchToken: z.string().optional().meta({
      description:
        "Read access to this task only, for a browser (Authorization: Bearer, or ?token= on /result); short-lived. " +
        "Given to API-key callers of POST /tasks and GET /tasks/{id}.",
    }),
  })
;

export const taskEventSchema = z
  .object({
    at: z.string(),
    from: taskStatusSchema.nullable(),
    to: taskStatusSchema,
    attempt: z.number().int(),
    error: taskErrorSchema.optional(),
    note: z.string().optional(),
  })
;

export const eventsResponse = z.object({ id: z.string(), events: z.array(taskEventSchema) });

export const listResponse = z.object({
  tasks: z.array(taskViewSchema),
  nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last." }),
});

export const errorBodySchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
;

export const resultFilesResponse = z.object({
  files: z.array(z.object({ name: z.string(), url: z.string() })),
});

export const uploadResponse = z.object({
  key: z.string(),
  upload: z.object({
    url: z.string(),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()),
    expiresAt: z.string(),
  }),
  limits: z.object({ maxBytes: z.number().int(), contentTypes: z.array(z.string()) }),
});

export const redriveAllRequestSchema = z.object({ type: z.string().min(1).max(64).optional() }).strict();

export const redriveAllResponse = z.object({ redriven: z.number().int(), ids: z.array(z.string()) });
