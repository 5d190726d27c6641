/**
 * The HTTP API's Lambda request authorizer (payload 2.0, simple responses). Every verdict is `isAuthorized: true`
 * with the verdict in the context: a principal (`tenant`, `scopes`, `keyPrefix`, `taskId`) or a refusal (`error`,
 * `message`), which the shared HTTP layer (lib/handlers/http.ts) turns into the API's own 401 before any route runs.
 * That is how a refused key gets a JSON error in the API's shape: HTTP APIs cannot shape the authorizer's own denials.
 * API Gateway caches the verdict per Authorization header (serverless.yml's `authorizerCacheTtlSeconds`).
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from "aws-lambda";
import { type AuthorizerContext, principalToContext } from "../domain/access.ts";
import { type AuthorizeDependencies, authorize } from "../use-cases/authorize.ts";
import { requestHeader } from "./http.ts";

export type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>;

export function createAuthorizerHandler(deps: () => AuthorizeDependencies) {
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
    const verdict = await authorize(
      { authorization: requestHeader(event, "authorization"), queryToken: event.queryStringParameters?.token },
      deps(),
    );
    if ("refused" in verdict) {
      deps().logger.info("credential refused", { routeKey: event.routeKey, reason: verdict.refused });
      return { isAuthorized: true, context: { error: "unauthorized", message: verdict.refused } };
    }
    return { isAuthorized: true, context: principalToContext(verdict.principal) };
  };
}
