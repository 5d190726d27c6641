/**
 * GET /tasks/{id}: the task's public view, for polling. Sends an ETag; `If-None-Match` with the current one answers
 * 304. `?wait=N` (N ≤ 20) holds the request until the task changes from the client's version, or N seconds pass.
 */
import type { Dependencies } from "../use-cases/dependencies.ts";
import { presentTask } from "../use-cases/present-task.ts";
import { watchTask } from "../use-cases/watch-task.ts";
import { statusQuery } from "./api-schemas.ts";
import { httpHandler, json, pathParameter } from "./http.ts";
import { parseIfNoneMatch, parseQuery, requestHeader } from "./query.ts";

export function createStatusHandler(deps: () => Dependencies, options: { intervalMs?: number } = {}) {
  return httpHandler(async (event) => {
    const id = pathParameter(event, "id");
    const { wait } = parseQuery(event, statusQuery);
    const watched = await watchTask(id, deps(), {
      waitSeconds: wait ?? 0,
      knownEtags: parseIfNoneMatch(requestHeader(event, "if-none-match")),
      ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
    });
    // `no-cache`: caches may keep the view but must revalidate (cheap: a 304 carries no body).
    const headers = { etag: watched.etag, "cache-control": "no-cache", "x-offload-reads": String(watched.reads) };
    if (!watched.modified) return { statusCode: 304, headers, body: "" };
    return json(200, await presentTask(watched.task, deps()), headers);
  }, deps);
}
