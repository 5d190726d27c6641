/** Lambda entry point: POST /uploads. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createUploadsHandler } from "../lib/handlers/uploads.ts";

export const handler = createUploadsHandler(dependenciesFromEnv);
