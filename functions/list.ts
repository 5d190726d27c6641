/** Lambda entry point: GET /tasks. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createListHandler } from "../lib/handlers/list.ts";

export const handler = createListHandler(dependenciesFromEnv);
