/** Lambda entry point: GET /tasks/{id}. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createStatusHandler } from "../lib/handlers/status.ts";

export const handler = createStatusHandler(dependenciesFromEnv);
