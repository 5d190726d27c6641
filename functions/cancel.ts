/** Lambda entry point: POST /tasks/{id}/cancel and DELETE /tasks/{id}. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createCancelHandler } from "../lib/handlers/task-actions.ts";

export const handler = createCancelHandler(dependenciesFromEnv);
