/** GET /tasks/{id}/events: the task's history (every transition), oldest first. */
import { Scope } from "../domain/access.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { taskEvents } from "../use-cases/find-task.ts";
import { httpHandler, json, pathParameter } from "./http.ts";

export function createEventsHandler(deps: () => Dependencies) {
  return httpHandler(
    async (event, { tenant }) => {
      const id = pathParameter(event, "id");
      return json(200, { id, events: await taskEvents(id, deps(), tenant) });
    },
    deps,
    { scope: Scope.TasksRead },
  );
}
