/** Lambda entry point: the SQS-triggered worker. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createWorkerHandler } from "../lib/handlers/worker.ts";

export const handler = createWorkerHandler(dependenciesFromEnv);
