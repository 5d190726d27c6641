/** Lambda entry point: GET /tasks/{id}/events. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createEventsHandler } from "../lib/handlers/events.ts";

export const handler = createEventsHandler(dependenciesFromEnv);
