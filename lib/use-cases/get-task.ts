/** Read a task's public view for polling. One consistent GetItem. */
import type { TaskView } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";
import { findTask } from "./find-task.ts";
import { presentTask } from "./present-task.ts";

export async function getTask(
  id: string,
  deps: Pick<Dependencies, "store" | "clock" | "taskTypes" | "services">,
  options: { tenant: string },
): Promise<TaskView> {
  return presentTask(await findTask(id, deps, options.tenant), deps);
}
