/**
 * POST /tasks: validate, record and queue a task; answer 202 at once with its view, a watch token for browsers, and a
 * Location header. The task belongs to the caller's tenant (from the authorizer, never from the request).
 * With an Idempotency-Key seen before (same request), 200 with the task that key created.
 */
import { Scope } from "../domain/access.ts";
import { toView } from "../domain/task.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { enqueue } from "../use-cases/enqueue.ts";
import { httpHandler, json, readJsonBody, requestHeader } from "./http.ts";

export function createEnqueueHandler(deps: () => Dependencies) {
  return httpHandler(
    async (event, principal) => {
      const body = readJsonBody(event, deps().config);
      const { task, replayed } = await enqueue(body, deps(), {
        tenant: principal.tenant,
        idempotencyKey: requestHeader(event, "idempotency-key"),
      });
      const view = toView(task);
      return json(
        replayed ? 200 : 202,
        { ...view, watchToken: await deps().watchTokens.mint(task) },
        { location: view.links.self, ...(replayed ? { "idempotent-replayed": "true" } : {}) },
      );
    },
    deps,
    { scope: Scope.TasksWrite },
  );
}
