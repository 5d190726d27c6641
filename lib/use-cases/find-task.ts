/** The one way the use cases look a task up for a client: a consistent read, scoped to the tenant. */
import { NotFoundError } from "../domain/errors.ts";
import { isTaskId, type Task, type TaskEvent } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";

/** The task, or a 404-class error if the id is malformed, unknown, expired or another tenant's. */
export async function findTask(
  id: string,
  deps: Pick<Dependencies, "store" | "clock">,
  tenant: string,
): Promise<Task> {
  if (!isTaskId(id)) throw new NotFoundError("Task", id);
  const task = await deps.store.get(id, deps.clock.now());
  if (!task || task.tenant !== tenant) throw new NotFoundError("Task", id);
  return task;
}

/** A task's history, oldest first. */
export async function taskEvents(
  id: string,
  deps: Pick<Dependencies, "store" | "clock">,
  tenant: string,
): Promise<readonly TaskEvent[]> {
  return (await findTask(id, deps, tenant)).history ?? [];
}
