/**
 * POST /tasks/{id}/cancel (and DELETE /tasks/{id}): cancel a task.
 * POST /tasks/{id}/redrive: run a failed task again with a fresh attempt budget.
 * POST /tasks/redrive {"type"?}: redrive every failed task (of a type); `{}` for all of them.
 */
import { Scope } from "../domain/access.ts";
import { ValidationError } from "../domain/errors.ts";
import { toView } from "../domain/task.ts";
import { cancelTask } from "../use-cases/cancel.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { describeIssues } from "../use-cases/enqueue.ts";
import { redriveFailed, redriveTask } from "../use-cases/redrive.ts";
import { redriveAllRequestSchema } from "./api-schemas.ts";
import { httpHandler, json, pathParameter, readJsonBody } from "./http.ts";

export function createCancelHandler(deps: () => Dependencies) {
  return httpHandler(
    async (event, { tenant }) => json(200, toView(await cancelTask(pathParameter(event, "id"), deps(), { tenant }))),
    deps,
    { scope: Scope.TasksWrite },
  );
}

export function createRedriveHandler(deps: () => Dependencies) {
  return httpHandler(
    async (event, { tenant }) => json(202, toView(await redriveTask(pathParameter(event, "id"), deps(), { tenant }))),
    deps,
    { scope: Scope.TasksWrite },
  );
}

/**
 * The body is required: `{}` redrives every failed task of the caller. A missing, empty or non-object body is refused
 * (415 or 400), never read as `{}`, so no client or proxy that drops a body can turn a request into "redrive all".
 */
export function createRedriveAllHandler(deps: () => Dependencies) {
  return httpHandler(
    async (event, { tenant }) => {
      const request = redriveAllRequestSchema.safeParse(readJsonBody(event, deps().config));
      if (!request.success) {
        throw new ValidationError("invalid_request", 'The body must be {"type"?: string}.', {
          issues: describeIssues(request.error),
        });
      }
      if (request.data.type !== undefined) deps().taskTypes.get(request.data.type);
      return json(202, await redriveFailed(deps(), { tenant, type: request.data.type }));
    },
    deps,
    { scope: Scope.TasksWrite },
  );
}
