/** A task's entity tag: changes whenever its status, attempt or progress does (every such write sets updatedAt). */
import { createHash } from "node:crypto";
import type { Task } from "../domain/task.ts";

export function taskEtag(task: Pick<Task, "id" | "updatedAt" | "status" | "attempt">): string {
  const digest = createHash("sha256")
    .update(`${task.id}\n${task.updatedAt}\n${task.status}\n${task.attempt}`)
    .digest("base64url")
    .slice(0, 22);
  return `"${digest}"`;
}

/** Whether `tags` (from If-None-Match) names the current version. */
export function etagMatches(current: string, tags: readonly string[]): boolean {
  return tags.includes("*") || tags.includes(current);
}
