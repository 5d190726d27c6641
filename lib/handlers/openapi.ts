/**
 * GET /openapi.json: an OpenAPI 3.1 description generated from the zod schemas the handlers validate with (query
 * strings, the task types' input schemas, the upload request) and answer with.
 */
import { z } from "zod";
import type { TaskTypeRegistry } from "../task-types/registry.ts";
import { uploadRequest } from "../use-cases/create-upload.ts";
import type { Logger } from "../logger.ts";
import {
  errorBodySchema,
  eventsResponse,
  listQuery,
  listResponse,
  MAX_WAIT_SECONDS,
  resultFilesResponse,
  statusQuery,
  taskViewSchema,
  uploadResponse,
} from "./api-schemas.ts";
import { httpHandler, json } from "./http.ts";

type JsonSchema = Record<string, unknown>;

function schema(zodSchema: z.ZodType, io: "input" | "output" = "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(zodSchema, { io, unrepresentable: "any" }) as JsonSchema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (body: JsonSchema) => ({ content: { "application/json": { schema: body } } });
const error = (description: string) => ({ description, ...jsonContent(ref("Error")) });

/** Query parameters from an object schema: one parameter per property, with its input (string) schema. */
function queryParameters(objectSchema: z.ZodType): JsonSchema[] {
  const json = schema(objectSchema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return { name, in: "query", required: json.required?.includes(name) ?? false, description, schema: rest };
  });
}

const idParameter = { name: "id", in: "path", required: true, schema: { type: "string" }, description: "A task id." };

/** The whole document. Routes here must match serverless.yml's httpApi events (tests/integration check both ways). */
export function openApiDocument(taskTypes: TaskTypeRegistry): JsonSchema {
  const enqueueBodies = taskTypes.names().map((name) =>
    schema(z.object({ type: z.literal(name), input: taskTypes.get(name).input.optional() }).strict(), "input"),
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "Offload",
      version: "0.1.0",
      description: "Serverless background tasks: enqueue over HTTP, run on SQS-triggered Lambda, poll for status.",
    },
    components: {
      schemas: {
        TaskView: schema(taskViewSchema),
        Error: schema(errorBodySchema),
      },
    },
    paths: {
      "/tasks": {
        post: {
          summary: "Enqueue a task",
          requestBody: { required: true, ...jsonContent({ oneOf: enqueueBodies }) },
          responses: {
            "202": { description: "Accepted and queued.", ...jsonContent(ref("TaskView")) },
            "400": error("Invalid JSON, request or input; unknown task type."),
            "413": error("Body too large."),
            "415": error("Not JSON."),
            "503": error("The queue is unavailable; try again."),
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
          parameters: [idParameter],
          responses: {
            "302": { description: "Redirect to the file's presigned URL.", headers: { Location: { schema: { type: "string" } } } },
            "200": { description: "Several files.", ...jsonContent(schema(resultFilesResponse)) },
            "404": error("No such task, or it made no file."),
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
            "400": error("Invalid request, unsupported type, empty file."),
            "413": error("File or body too large."),
            "415": error("Not JSON."),
          },
        },
      },
      "/openapi.json": {
        get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1.", ...jsonContent({ type: "object" }) } } },
      },
      "/": {
        get: {
          summary: "The dashboard",
          responses: { "200": { description: "HTML page.", content: { "text/html": { schema: { type: "string" } } } } },
        },
      },
    },
  };
}

export function createOpenApiHandler(deps: () => { taskTypes: TaskTypeRegistry; logger: Logger }) {
  let document: JsonSchema | undefined;
  return httpHandler(async () => {
    document ??= openApiDocument(deps().taskTypes);
    return json(200, document, { "cache-control": "public, max-age=300" });
  }, deps);
}
