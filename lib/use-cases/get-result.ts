/**
 * Where a finished task's output can be downloaded, from its presented result (the type's `presentResult`): a single
 * `url` → one file; an array of items with a `url` (e.g. renditions) → several files. Generic over task types.
 */
import { OffloadError } from "../domain/errors.ts";
import { TaskStatus } from "../domain/status.ts";
import type { Dependencies } from "./dependencies.ts";
import { getTask } from "./get-task.ts";

export type ResultLocation =
  | { readonly kind: "file"; readonly url: string }
  | { readonly kind: "files"; readonly files: readonly { readonly name: string; readonly url: string }[] };

export async function getResultLocation(
  id: string,
  deps: Pick<Dependencies, "store" | "clock" | "taskTypes" | "services">,
  options: { tenant: string },
): Promise<ResultLocation> {
  const view = await getTask(id, deps, options);
  if (view.status !== TaskStatus.Succeeded) {
    throw new OffloadError("task_not_finished", `Task ${id} is ${view.status}; its result exists once it has succeeded.`, {
      details: { id, status: view.status, progress: view.progress },
    });
  }
  const location = findLocation(view.result);
  if (!location) {
    throw new OffloadError("no_result_file", `Task ${id} (${view.type}) has no downloadable file.`, { details: { id } });
  }
  return location;
}

function findLocation(result: unknown): ResultLocation | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const record = result as Record<string, unknown>;
  if (typeof record.url === "string") return { kind: "file", url: record.url };
  for (const value of Object.values(record)) {
    if (!Array.isArray(value) || value.length === 0) continue;
    const files = value.flatMap((item, index) => {
      if (typeof item !== "object" || item === null || typeof (item as { url?: unknown }).url !== "string") return [];
      const entry = item as Record<string, unknown>;
      const name = [entry.name, entry.filename, entry.key].find((n) => typeof n === "string") ?? String(index);
      return [{ name: name as string, url: entry.url as string }];
    });
    if (files.length === value.length) return { kind: "files", files };
  }
  return undefined;
}
