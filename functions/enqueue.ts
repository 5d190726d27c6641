/** Lambda entry point: POST /tasks. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createEnqueueHandler } from "../lib/handlers/enqueue.ts";

export const handler = createEnqueueHandler(dependenciesFromEnv);
