/**
 * Read a task for polling, optionally waiting for it to change (long polling). Each check is one strongly consistent
 * GetItem; the view (with its presigned URLs) is built once, at the end.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isTerminal } from "../domain/status.ts";
import type { Task } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";
import { findTask } from "./find-task.ts";
import { etagMatches, taskEtag } from "./task-etag.ts";

/** Time between two reads of a waiting request: a change is seen after about half of it on average. */
export const DEFAULT_POLL_INTERVAL_MS = 400;

export interface WatchOptions {
  readonly tenant: string;
  /** Seconds to wait for a change (0: answer at once). */
  readonly waitSeconds?: number;
  /** The client's current version (If-None-Match): "changed" means different from these. */
  readonly knownEtags?: readonly string[];
  readonly intervalMs?: number;
}

export interface WatchedTask {
  readonly task: Task;
  readonly etag: string;
  /** False when the client's version is still current (answer 304). */
  readonly modified: boolean;
  /** GetItem calls this request made. */
  readonly reads: number;
}

/**
 * The task now, or as soon as it differs from the client's version (`knownEtags`, else the first read) within
 * `waitSeconds`. A finished task is answered at once: it will not change any more.
 */
export async function watchTask(
  id: string,
  deps: Pick<Dependencies, "store" | "clock">,
  options: WatchOptions,
): Promise<WatchedTask> {
  let reads = 0;
  const read = async () => {
    reads++;
    return findTask(id, deps, options.tenant);
  };

  let task = await read();
  let etag = taskEtag(task);
  const known = options.knownEtags ?? [];
  const waitMs = (options.waitSeconds ?? 0) * 1000;
  if (waitMs > 0 && !isTerminal(task.status) && (known.length === 0 || etagMatches(etag, known))) {
    const baseline = known.length > 0 ? known : [etag];
    const deadline = Date.now() + waitMs;
    const interval = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    while (Date.now() < deadline) {
      await sleep(Math.min(interval, deadline - Date.now()));
      task = await read();
      etag = taskEtag(task);
      if (!etagMatches(etag, baseline) || isTerminal(task.status)) break;
    }
  }
  return { task, etag, modified: !etagMatches(etag, known), reads };
}
