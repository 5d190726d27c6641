/**
 * GET /tasks/{id}: the task's public view, for polling. Sends an ETag; `If-None-Match` with the current one answers
 * 304. `?wait=N` (N ≤ 20) holds the request until the task changes from the client's version, or N seconds pass.
 */
import { Scope } from "../domain/access.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { presentTask } from "../use-cases/present-task.ts";
import { watchTask } from "../use-cases/watch-task.ts";
import { statusQuery } from "./api-schemas.ts";
import { httpHandler, json, pathParameter, requestHeader } from "./http.ts";
import { parseIfNoneMatch, parseQuery } from "./query.ts";

export function createStatusHandler(deps: () => Dependencies, options: { intervalMs?: number } = {}) {
  return httpHandler(
    async (event, principal) => {
    const id = pathParameter(event, "id");
    const { wait } = parseQuery(event, statusQuery);
    const watched = await watchTask(id, deps(), {
      tenant: principal.tenant,
      waitSeconds: wait ?? 0,
      knownEtags: parseIfNoneMatch(requestHeader(event, "if-none-match")),
      ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}),
    });
    // `no-cache`: caches may keep the view but must revalidate (cheap: a 304 carries no body).
    const headers = { etag: watched.etag, "cache-control": "no-cache", "x-offload-reads": String(watched.reads) };
    if (!watched.modified) return { statusCode: 304, headers, body: "" };
    const view = await presentTask(watched.task, deps());
    // A key's holder gets a watch token to hand to a browser; a watch token is never renewed by itself.
    if (principal.taskId !== undefined) return json(200, view, headers);
    return json(200, { ...view, watchToken: await deps().watchTokens.mint(watched.task) }, headers);
    },
    deps,
    { scope: Scope.TasksRead },
  );
}
