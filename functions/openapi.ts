/** Lambda entry point: GET /openapi.json. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createOpenApiHandler } from "../lib/handlers/openapi.ts";

export const handler = createOpenApiHandler(dependenciesFromEnv);
