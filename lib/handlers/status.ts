/** GET /tasks/{id}: the task's public view, for polling. */
import type { Dependencies } from "../use-cases/dependencies.ts";
import { getTask } from "../use-cases/get-task.ts";
import { httpHandler, json, pathParameter } from "./http.ts";

export function createStatusHandler(deps: () => Dependencies) {
  return httpHandler(async (event) => json(200, await getTask(pathParameter(event, "id"), deps())), deps);
}
