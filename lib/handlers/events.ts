/** GET /tasks/{id}/events: the task's history (every transition), oldest first. */
import { NotFoundError } from "../domain/errors.ts";
import { DEFAULT_TENANT, isTaskId } from "../domain/task.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { httpHandler, json, pathParameter } from "./http.ts";

export function createEventsHandler(deps: () => Dependencies) {
  return httpHandler(async (event) => {
    const id = pathParameter(event, "id");
    if (!isTaskId(id)) throw new NotFoundError("Task", id);
    const task = await deps().store.get(id, deps().clock.now());
    if (!task || task.tenant !== DEFAULT_TENANT) throw new NotFoundError("Task", id);
    return json(200, { id, events: task.history ?? [] });
  }, deps);
}
