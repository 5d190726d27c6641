/** A stored task → its public view, with the type's presented result (download URLs; signing is local, no AWS call). */
import { toView, type Task, type TaskView } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";

export async function presentTask(task: Task, deps: Pick<Dependencies, "taskTypes" | "services">): Promise<TaskView> {
  const type = deps.taskTypes.find(task.type);
  const result =
    task.result !== undefined && task.result !== null && type?.presentResult
      ? await type.presentResult(task.result, deps.services)
      : task.result;
  return toView(task, result);
}
