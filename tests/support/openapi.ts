/**
 * Checks responses against an OpenAPI document (ours, or the one a running stack serves at GET /openapi.json): the
 * status must be documented for the operation, and a JSON body must match its schema. A request that no operation
 * takes must get one of the document's `components.responses` for that case (RouteNotFound 404, MethodNotAllowed 405).
 */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { Ajv2020 } from "ajv/dist/2020.js";
import { openApiDocument } from "../../lib/handlers/openapi.ts";
import { builtInTaskTypes, TaskTypeRegistry } from "../../lib/task-types/registry.ts";

type Response = Pick<APIGatewayProxyStructuredResultV2, "statusCode" | "body">;
interface Documented {
  readonly content?: Record<string, { schema: unknown }>;
}
export interface ApiDocument {
  readonly paths: Record<string, Record<string, { responses: Record<string, Documented> }>>;
  readonly components?: { readonly responses?: Record<string, Documented> };
}

/** Where a request lands: the operation's route template, or none (with the templates whose path matches). */
export interface Landing {
  readonly route?: string;
  readonly pathExists: boolean;
}

function pointer(...segments: string[]): string {
  return segments.map((s) => encodeURIComponent(s.replaceAll("~", "~0").replaceAll("/", "~1"))).join("/");
}

function matches(template: string, path: string): boolean {
  const want = template.split("/");
  const got = path.split("/");
  return want.length === got.length && want.every((part, i) => (/^\{.+\}$/.test(part) ? got[i] !== "" : got[i] === part));
}

export function conformanceChecker(document: ApiDocument) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, "openapi");

  const validateBody = (where: string, schemaPointer: string, response: Response): string[] => {
    const validate = ajv.getSchema(`openapi#/${schemaPointer}`);
    if (!validate) return [`no schema for ${where}`];
    let body: unknown;
    try {
      body = JSON.parse(String(response.body));
    } catch {
      return [`${where}: the body is not JSON: ${String(response.body).slice(0, 200)}`];
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${where}: ${e.instancePath} ${e.message}`);
  };

  /** Problems with `response` as an answer to `method route` (empty when it conforms). */
  function nonConformance(method: string, route: string, response: Response): string[] {
    const operation = document.paths[route]?.[method.toLowerCase()];
    if (!operation) return [`${method} ${route} is not documented`];
    const status = String(response.statusCode);
    const documented = operation.responses[status];
    if (!documented) return [`${method} ${route} → ${status} is not documented`];
    if (!documented.content?.["application/json"]) return [];
    const at = pointer("paths", route, method.toLowerCase(), "responses", status, "content", "application/json", "schema");
    return validateBody(`${method} ${route} → ${status}`, at, response);
  }

  /** The operation a request for `method path` reaches (the most specific path with that method), if any. */
  function landing(method: string, path: string): Landing {
    const templates = Object.keys(document.paths).filter((template) => matches(template, path));
    const specificity = (template: string) => (template.match(/\{/g) ?? []).length;
    const route = templates
      .filter((template) => document.paths[template]?.[method.toLowerCase()])
      .sort((a, b) => specificity(a) - specificity(b))[0];
    return { ...(route ? { route } : {}), pathExists: templates.length > 0 };
  }

  /** Problems with `response` as the answer to a request that no operation takes. */
  function unmatchedNonConformance(what: string, response: Response): string[] {
    const responses = document.components?.responses ?? {};
    const name = response.statusCode === 404 ? "RouteNotFound" : response.statusCode === 405 ? "MethodNotAllowed" : undefined;
    if (!name || !responses[name]) return [`${what} → ${response.statusCode} is not documented for a request no operation takes`];
    return validateBody(`${what} → ${response.statusCode}`, pointer("components", "responses", name, "content", "application/json", "schema"), response);
  }

  /** Problems with `response` as the answer to `method path` (a concrete path, e.g. `/tasks/01J…/cancel`). */
  function check(method: string, path: string, response: Response): string[] {
    const { route } = landing(method, path);
    return route ? nonConformance(method, route, response) : unmatchedNonConformance(`${method} ${path}`, response);
  }

  return { nonConformance, landing, check };
}

export const apiDocument = openApiDocument(new TaskTypeRegistry(builtInTaskTypes())) as unknown as ApiDocument;

const ownChecker = conformanceChecker(apiDocument);

/** Problems with `response` as an answer to `method route`, against the document this code generates. */
export const nonConformance = ownChecker.nonConformance;
