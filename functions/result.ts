/** Lambda entry point: GET /tasks/{id}/result. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createResultHandler } from "../lib/handlers/result.ts";

export const handler = createResultHandler(dependenciesFromEnv);
