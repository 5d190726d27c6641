/**
 * List a tenant's tasks, newest first, a page at a time. The cursor is the index position (DynamoDB's
 * LastEvaluatedKey) as base64url JSON: opaque to clients, and checked on the way back in (a cursor that does not
 * belong to this tenant and filter is a 400, never a DynamoDB error).
 */
import { ValidationError } from "../domain/errors.ts";
import type { TaskStatus } from "../domain/status.ts";
import { isTaskId, type TaskView } from "../domain/task.ts";
import type { TaskListKey } from "../task-queries.ts";
import type { Dependencies } from "./dependencies.ts";
import { presentTask } from "./present-task.ts";

export interface ListTasksRequest {
  readonly status?: TaskStatus | undefined;
  readonly type?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly tenant: string;
}

export interface TaskList {
  readonly tasks: readonly TaskView[];
  readonly nextCursor: string | null;
}

export type ListDependencies = Pick<Dependencies, "taskTypes" | "services" | "queries">;

export async function listTasks(request: ListTasksRequest, deps: ListDependencies): Promise<TaskList> {
  const { tenant } = request;
  if (request.type !== undefined) deps.taskTypes.get(request.type); // unknown type → 400 naming the known ones
  const expected = expectedKey(tenant, request.status);
  const startKey = request.cursor === undefined ? undefined : decodeCursor(request.cursor, expected);
  const page = await deps.queries.list({
    tenant,
    status: request.status,
    type: request.type,
    limit: request.limit,
    startKey,
  });
  return {
    tasks: await Promise.all(page.tasks.map((task) => presentTask(task, deps))),
    nextCursor: page.lastKey ? encodeCursor(page.lastKey) : null,
  };
}

/** The key attributes (and their fixed values) of the index this query reads. */
function expectedKey(tenant: string, status: TaskStatus | undefined): Record<string, string> {
  return status ? { tenantStatus: `${tenant}#${status}` } : { tenant };
}

export function encodeCursor(key: TaskListKey): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** A cursor back into an index position, checked against the query it must belong to. */
export function decodeCursor(cursor: string, expected: Record<string, string>): TaskListKey {
  const invalid = (why: string) =>
    new ValidationError("invalid_cursor", `The cursor is not valid for this listing (${why}); start again without it.`);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid("not base64url");
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid("not a cursor");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw invalid("not a cursor");
  const key = parsed as Record<string, unknown>;
  // Exactly the index's key attributes (its own and the table's), as DynamoDB's LastEvaluatedKey has them: another
  // field, even a plausible one (`tenant` in a status listing), would make DynamoDB refuse the start key.
  const wanted = new Set(["id", ...Object.keys(expected)]);
  const names = Object.keys(key);
  if (names.length !== wanted.size || !names.every((name) => wanted.has(name) && typeof key[name] === "string")) {
    throw invalid("unexpected fields");
  }
  if (typeof key.id !== "string" || !isTaskId(key.id)) throw invalid("no task position");
  for (const [name, value] of Object.entries(expected)) {
    if (key[name] !== value) throw invalid("it belongs to another filter");
  }
  return key as TaskListKey;
}
