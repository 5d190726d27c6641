/**
 * The error answers that the OpenAPI document (lib/handlers/openapi.ts) lists on every operation they apply to: the
 * credential checks', the shared HTTP layer's, and API Gateway's own. On AWS, API Gateway's own answers (no
 * Authorization header, a body over 10 MB, throttling, a crashed or late function, an unknown route) have the body
 * `{"message": "..."}`, which an HTTP API cannot reshape; locally the gateway in front of serverless-offline
 * (infra/local-gateway.ts) gives them in the API's Error shape. Those responses therefore allow either body.
 */

type JsonSchema = Record<string, unknown>;
export type PathItems = Record<string, Record<string, JsonSchema>>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (body: JsonSchema) => ({ content: { "application/json": { schema: body } } });

/** An answer of the API's own: `{"error": {"code", "message", "details"?}}`. */
export function apiError(description: string): JsonSchema {
  return { description, ...jsonContent(ref("Error")) };
}

/** An answer that may also come from API Gateway itself on AWS, as `{"message": "..."}`. */
export function edgeError(description: string): JsonSchema {
  return { description, ...jsonContent({ anyOf: [ref("Error"), ref("GatewayError")] }) };
}

/** API Gateway's own error body on AWS. */
export const gatewayErrorSchema: JsonSchema = {
  type: "object",
  properties: { message: { type: "string" } },
  required: ["message"],
  description: 'API Gateway\'s own answer on AWS, e.g. {"message":"Not Found"} (HTTP APIs cannot reshape it).',
};

/** Answers to a request that no operation takes (`components.responses`): an unknown path, or a wrong method. */
export const unmatchedResponses: JsonSchema = {
  RouteNotFound: edgeError(
    'No route has this path (route_not_found). On AWS: API Gateway\'s own 404 {"message":"Not Found"}.',
  ),
  MethodNotAllowed: {
    ...apiError(
      "The path exists, but not with this method (method_not_allowed; `Allow` names the methods it takes). " +
        'The local gateway\'s answer: on AWS, HTTP APIs have no 405 and answer such a request 404 {"message":"Not Found"}.',
    ),
    headers: { Allow: { schema: { type: "string" } } },
  },
};

/**
 * Adds to every operation the errors that can answer it, where the operation does not describe that status itself:
 * 401 and 403 for protected operations (all but those with `security: []`), 413 for those that can carry a body
 * (POST, DELETE: API Gateway takes at most 10 MB), and the 429 and 5xx any route can get.
 */
export function withSharedErrors(paths: PathItems): PathItems {
  for (const operations of Object.values(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const isPublic = (operation.security as unknown[] | undefined)?.length === 0;
      const shared: JsonSchema = {
        ...(isPublic
          ? {}
          : {
              "401": edgeError(
                "No credential, or an unknown, revoked, expired or malformed one (unauthorized). On AWS a request " +
                  'with no Authorization header at all gets API Gateway\'s own 401 {"message":"Unauthorized"}.',
              ),
              "403": apiError("The credential lacks the scope this route needs (forbidden)."),
            }),
        ...(method === "post" || method === "delete"
          ? { "413": edgeError("The body is over API Gateway's 10 MB (body_too_large).") }
          : {}),
        "429": edgeError('Throttled by API Gateway (on AWS: {"message":"Too Many Requests"}); retry later.'),
        "500": edgeError(
          "An unexpected failure, logged (internal_error); on AWS also API Gateway's own 500 when the function crashed.",
        ),
        "502": apiError("Local stack only: the function failed before it answered (bad_gateway); AWS answers 500."),
        "503": edgeError("Unavailable for a moment (on AWS, API Gateway's own 503 when the function is throttled); retry."),
        "504": edgeError("The function did not answer in time (timeout; on AWS, API Gateway's own 504 after 30 s)."),
      };
      operation.responses = { ...(operation.responses as JsonSchema) };
      for (const [status, response] of Object.entries(shared)) {
        (operation.responses as JsonSchema)[status] ??= response;
      }
    }
  }
  return paths;
}
