/** GET /tasks/{id}: the task's public view, for polling. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { httpHandler, json, pathParameter } from "../lib/http/api.ts";
import { getTask } from "../lib/use-cases/get-task.ts";

export const handler = httpHandler(
  async (event) => json(200, await getTask(pathParameter(event, "id"), dependenciesFromEnv())),
  () => dependenciesFromEnv().logger,
);
