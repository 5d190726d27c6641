/**
 * GET /openapi.json: an OpenAPI 3.1 description generated from the zod schemas the handlers validate with (query
 * strings, the task types' input schemas, the upload request) and answer with.
 */
import { z } from "zod";
import type { TaskTypeRegistry } from "../task-types/registry.ts";
import { uploadRequest } from "../use-cases/create-upload.ts";
import { MAX_DELAY_SECONDS } from "../use-cases/enqueue.ts";
import type { Logger } from "../logger.ts";
import {
  errorBodySchema,
  eventsResponse,
  listQuery,
  listResponse,
  MAX_WAIT_SECONDS,
  redriveAllRequestSchema,
  redriveAllResponse,
  resultFilesResponse,
  resultQuery,
  statusQuery,
  taskViewSchema,
  uploadResponse,
} from "./api-schemas.ts";
import { json, publicHttpHandler } from "./http.ts";
import {
  apiError as error,
  edgeError,
  gatewayErrorSchema,
  unmatchedResponses,
  withSharedErrors,
} from "./openapi-errors.ts";

type JsonSchema = Record<string, unknown>;

function schema(zodSchema: z.ZodType, io: "input" | "output" = "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(zodSchema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (body: JsonSchema) => ({ content: { "application/json": { schema: body } } });

/** Query parameters from an object schema: one parameter per property, with its input (string) schema. */
function queryParameters(objectSchema: z.ZodType): JsonSchema[] {
  const json = schema(objectSchema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: "query", required: json.required?.includes(name) ?? false, description, schema: rest };
  });
}

const cancelResponses = {
  "200": { description: "Cancelled (a running attempt is stopped at its next heartbeat).", ...jsonContent(ref("TaskView")) },
  "404": error("No such task."),
  "409": error("The task has already finished (task_finished)."),
};

const idParameter = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "A task id." };

/** The whole document. Routes here must match serverless.yml's httpApi events (tests/integration check both ways). */
export function openApiDocument(taskTypes: TaskTypeRegistry): JsonSchema {
  const schedule = {
    delaySeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_DELAY_SECONDS)
      .optional()
      .meta({ description: "Run no earlier than this many seconds from now (status `scheduled` until then)." }),
    runAt: z.iso.datetime({ offset: true }).optional().meta({ description: "Run no earlier than this time." }),
    idempotencyKey: z.string().optional().meta({ description: "Same as the Idempotency-Key header." }),
  };
  const enqueueBodies = taskTypes.names().map((name) =>
    schema(
      z.object({ type: z.literal(name), input: taskTypes.get(name).input.optional(), ...schedule }).strict(),
      "input",
    ),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "Offload",
      version: "0.1.0",
      description:
        "Serverless background tasks: enqueue over HTTP, run on SQS-triggered Lambda, poll for status. A request that " +
        "no operation takes is answered as components.responses say: RouteNotFound (404) or MethodNotAllowed (405).",
    },
    components: {
      schemas: {
        TaskView: schema(taskViewSchema),
        Error: schema(errorBodySchema),
        GatewayError: gatewayErrorSchema,
      },
      responses: unmatchedResponses,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "An API key (ofl_sk_…), or a watch token (ofl_wt_…) for reading its one task.",
        },
        watchTokenQuery: { type: "apiKey", in: "query", name: "token", description: "A watch token (ofl_wt_…)." },
      },
    },
    security: [{ bearer: [] }],
    paths: withSharedErrors({
      "/tasks": {
        post: {
          summary: "Enqueue a task",
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              schema: { type: "string", maxLength: 255 },
              description: "Replays of the same request with this key return the original task for 24 h.",
            },
          ],
          requestBody: { required: true, ...jsonContent({ oneOf: enqueueBodies }) },
          responses: {
            "202": { description: "Accepted and queued (or scheduled).", ...jsonContent(ref("TaskView")) },
            "200": { description: "Replay of an Idempotency-Key: the original task.", ...jsonContent(ref("TaskView")) },
            "400": error(
              "Invalid JSON, a JSON value that is not an object, an invalid request, input or Idempotency-Key; " +
                "an unknown task type.",
            ),
            "409": error("A request with this Idempotency-Key is still in progress."),
            "413": edgeError("The body is over 64 KiB, or over API Gateway's 10 MB (body_too_large)."),
            "415": error("No content type, or not application/json (unsupported_media_type)."),
            "422": error("This Idempotency-Key was used with a different request."),
            "429": edgeError(
              "The queue is full (queue_full) or the tenant has too many live tasks (tenant_quota_exceeded); see " +
                "Retry-After. Or throttled by API Gateway.",
            ),
            "503": edgeError("The queue is unavailable (queue_unavailable); try again."),
          },
        },
        get: {
          summary: "List tasks, newest first",
          parameters: queryParameters(listQuery),
          responses: {
            "200": { description: "One page.", ...jsonContent(schema(listResponse)) },
            "400": error("Invalid query (status, type, limit) or cursor."),
          },
        },
      },
      "/tasks/{id}": {
        get: {
          summary: "A task's status (polling; long polling with ?wait)",
          parameters: [
            idParameter,
            ...queryParameters(statusQuery),
            { name: "If-None-Match", in: "header", required: false, schema: { type: "string" } },
          ],
          responses: {
            "200": {
              description: `The task (with ?wait, as soon as it changed, or after at most ${MAX_WAIT_SECONDS} s).`,
              headers: { ETag: { schema: { type: "string" } } },
              ...jsonContent(ref("TaskView")),
            },
            "304": { description: "Unchanged since the ETag given in If-None-Match." },
            "400": error("Invalid query."),
            "404": error("No such task."),
          },
        },
        delete: {
          summary: "Cancel a task (same as POST /tasks/{id}/cancel)",
          parameters: [idParameter],
          responses: cancelResponses,
        },
      },
      "/tasks/{id}/cancel": {
        post: { summary: "Cancel a task", parameters: [idParameter], responses: cancelResponses },
      },
      "/tasks/{id}/redrive": {
        post: {
          summary: "Run a failed task again with a fresh attempt budget",
          parameters: [idParameter],
          responses: {
            "202": { description: "Queued again.", ...jsonContent(ref("TaskView")) },
            "404": error("No such task."),
            "409": error("The task has not failed (task_not_failed)."),
          },
        },
      },
      "/tasks/redrive": {
        post: {
          summary: "Redrive every failed task (body `{}`), or those of one type",
          requestBody: { required: true, ...jsonContent(schema(redriveAllRequestSchema, "input")) },
          responses: {
            "202": { description: "The tasks queued again.", ...jsonContent(schema(redriveAllResponse)) },
            "400": error("No body, invalid JSON, a JSON value that is not an object, or an unknown task type."),
            "413": edgeError("The body is over 64 KiB, or over API Gateway's 10 MB (body_too_large)."),
            "415": error("No content type, or not application/json (unsupported_media_type)."),
          },
        },
      },
      "/tasks/{id}/events": {
        get: {
          summary: "A task's history, oldest first",
          parameters: [idParameter],
          responses: {
            "200": { description: "The events.", ...jsonContent(schema(eventsResponse)) },
            "404": error("No such task."),
          },
        },
      },
      "/tasks/{id}/result": {
        get: {
          summary: "Download a finished task's output",
          parameters: [idParameter, ...queryParameters(resultQuery)],
          security: [{ bearer: [] }, { watchTokenQuery: [] }],
          responses: {
            "302": { description: "Redirect to the file's presigned URL.", headers: { Location: { schema: { type: "string" } } } },
            "200": { description: "Several files.", ...jsonContent(schema(resultFilesResponse)) },
            "404": error("No such task, or it made no file (or no file of that name)."),
            "409": error("Not finished (task_not_finished)."),
          },
        },
      },
      "/uploads": {
        post: {
          summary: "Get a presigned PUT for an image upload",
          requestBody: { required: true, ...jsonContent(schema(uploadRequest, "input")) },
          responses: {
            "201": { description: "Upload the file with the given URL and headers.", ...jsonContent(schema(uploadResponse)) },
            "400": error("Invalid JSON or request, a JSON value that is not an object, unsupported type, empty file."),
            "413": edgeError("The declared file is over the limit (upload_too_large), or the body over 64 KiB (body_too_large)."),
            "415": error("No content type, or not application/json (unsupported_media_type)."),
          },
        },
      },
      "/openapi.json": {
        get: { summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.1.", ...jsonContent({ type: "object" }) } } },
      },
      "/": {
        get: {
          summary: "The dashboard",
          security: [],
          responses: { "200": { description: "HTML page.", content: { "text/html": { schema: { type: "string" } } } } },
        },
      },
    }),
  };
}

export function createOpenApiHandler(deps: () => { taskTypes: TaskTypeRegistry; logger: Logger }) {
  let document: JsonSchema | undefined;
  return publicHttpHandler(async () => {
    document ??= openApiDocument(deps().taskTypes);
    return json(200, document, { "cache-control": "public, max-age=300" });
  }, deps);
}
