/** Lambda entry points: POST /tasks/{id}/redrive (one failed task) and POST /tasks/redrive (all, or of a type). */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createRedriveAllHandler, createRedriveHandler } from "../lib/handlers/task-actions.ts";

export const one = createRedriveHandler(dependenciesFromEnv);
export const all = createRedriveAllHandler(dependenciesFromEnv);
