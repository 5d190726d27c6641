/** Lambda entry point: the scheduled sweeper (every minute). */
import { dependenciesFromEnv } from "../lib/container.ts";
import { createSweeperHandler } from "../lib/handlers/background.ts";

export const handler = createSweeperHandler(dependenciesFromEnv);
