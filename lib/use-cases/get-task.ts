/** Read a task's public view for polling. One consistent GetItem. */
import { NotFoundError } from "../domain/errors.ts";
import { DEFAULT_TENANT, isTaskId, toView, type TaskView } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";

export async function getTask(
  id: string,
  deps: Pick<Dependencies, "store" | "clock" | "taskTypes" | "services">,
  options: { tenant?: string } = {},
): Promise<TaskView> {
  if (!isTaskId(id)) throw new NotFoundError("Task", id);
  const task = await deps.store.get(id, deps.clock.now());
  if (!task || task.tenant !== (options.tenant ?? DEFAULT_TENANT)) throw new NotFoundError("Task", id);
  const type = deps.taskTypes.find(task.type);
  const result =
    task.result !== undefined && task.result !== null && type?.presentResult
      ? await type.presentResult(task.result, deps.services)
      : task.result;
  return toView(task, result);
}
