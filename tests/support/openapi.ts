/** Checks responses against the OpenAPI document: the status must be documented, a JSON body must match its schema. */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { Ajv2020 } from "ajv/dist/2020.js";
import { openApiDocument } from "../../lib/handlers/openapi.ts";
import { builtInTaskTypes, TaskTypeRegistry } from "../../lib/task-types/registry.ts";

export const apiDocument = openApiDocument(new TaskTypeRegistry(builtInTaskTypes())) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
};

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(apiDocument, "openapi");

function pointer(...segments: string[]): string {
  return segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/");
}

/** Problems with `response` as an answer to `method route` (empty when it conforms). */
export function nonConformance(method: string, route: string, response: APIGatewayProxyStructuredResultV2): string[] {
  const operation = apiDocument.paths[route]?.[method.toLowerCase()];
  if (!operation) return [`${method} ${route} is not documented`];
  const status = String(response.statusCode);
  const documented = operation.responses[status];
  if (!documented) return [`${method} ${route} → ${status} is not documented`];
  if (!documented.content?.["application/json"]) return [];
  const validate = ajv.getSchema(`openapi#/${pointer("paths", route, method.toLowerCase(), "responses", status, "content", "application/json", "schema")}`);
  if (!validate) return [`no schema for ${method} ${route} → ${status}`];
  if (validate(JSON.parse(String(response.body)))) return [];
  return (validate.errors ?? []).map((e) => `${method} ${route} → ${status}: ${e.instancePath} ${e.message}`);
}
