/** Lambda entry point: consumes the dead-letter queue and fails the tasks whose messages died. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createDeadLetterHandler } from "../lib/handlers/background.ts";

export const handler = createDeadLetterHandler(dependenciesFromEnv);
