/** Enqueue: validate a task, record it, queue its id. Two AWS calls: PutItem, SendMessage. */
import { z } from "zod";
import { toTaskError, UnavailableError, ValidationError } from "../domain/errors.ts";
import { TaskStatus } from "../domain/status.ts";
import { createTask, DEFAULT_TENANT, newTaskId, type Task } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";

const enqueueRequest = z
  .object({
    type: z.string({ error: "`type` is required and must be a string." }).min(1).max(64),
    input: z.unknown().optional(),
  })
  .strict();

export type EnqueueRequest = z.input<typeof enqueueRequest>;

/** Checks the request shape, the type and the type's input schema. Throws ValidationError; writes nothing. */
export function validateEnqueueRequest(body: unknown, deps: Pick<Dependencies, "taskTypes">) {
  const request = enqueueRequest.safeParse(body);
  if (!request.success) {
    throw new ValidationError("invalid_request", "The request body must be {\"type\": string, \"input\": object}.", {
      issues: describeIssues(request.error),
    });
  }
  const type = deps.taskTypes.get(request.data.type);
  const input = type.input.safeParse(request.data.input ?? {});
  if (!input.success) {
    throw new ValidationError("invalid_input", `The input does not match task type ${type.name}'s schema.`, {
      type: type.name,
      issues: describeIssues(input.error),
    });
  }
  return { type, input: input.data };
}

export async function enqueue(
  body: unknown,
  deps: Dependencies,
  options: { tenant?: string } = {},
): Promise<Task> {
  const { type, input } = validateEnqueueRequest(body, deps);
  const now = deps.clock.now();
  const task = createTask({
    id: newTaskId(now),
    tenant: options.tenant ?? DEFAULT_TENANT,
    type: type.name,
    input,
    maxAttempts: type.retry.maxAttempts,
    retentionDays: type.retentionDays,
    now,
  });
  await deps.store.create(task);
  try {
    await deps.queue.send({ id: task.id, tenant: task.tenant, type: task.type });
  } catch (cause) {
    // The record exists but no message does: fail it now rather than leave it queued forever.
    const error = new UnavailableError("queue_unavailable", "The task queue could not be reached; try again later.", {
      details: { taskId: task.id },
      cause,
    });
    deps.logger.error("enqueue: send failed; marking the task failed", { taskId: task.id, type: task.type, error: cause });
    await deps.store
      .abandon(task, [TaskStatus.Queued], toTaskError(error), deps.clock.now())
      .catch((abandonError: unknown) =>
        deps.logger.error("enqueue: could not mark the unsent task failed", { taskId: task.id, error: abandonError }),
      );
    throw error;
  }
  deps.logger.info("task enqueued", { taskId: task.id, type: task.type });
  return task;
}

export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}
