/** Lambda entry point: the HTTP API's request authorizer (API keys and watch tokens). */
import { authorizerDependenciesFromEnv } from "../lib/authorizer-container.ts";
import { createAuthorizerHandler } from "../lib/handlers/authorizer.ts";

export const handler = createAuthorizerHandler(authorizerDependenciesFromEnv);
