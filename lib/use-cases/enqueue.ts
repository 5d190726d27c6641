/**
 * Enqueue: validate a task, record it, queue its id.
 * AWS calls: PutItem + SendMessage (a task due more than 15 minutes ahead gets its message from the sweeper later);
 * with an Idempotency-Key one conditional PutItem more; with a queue-depth limit one GetQueueAttributes per 2 s.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ConflictError, toTaskError, UnavailableError, ValidationError } from "../domain/errors.ts";
import { MAX_SQS_DELAY_MS } from "../domain/lifecycle.ts";
import { createTask, newTaskId, type Task } from "../domain/task.ts";
import type { Dependencies } from "./dependencies.ts";

/** The furthest ahead a task can be scheduled. */
export const MAX_DELAY_SECONDS = 30 * 86_400;
/** What a client told to back off (queue full) is asked to wait. */
const QUEUE_FULL_RETRY_AFTER_SECONDS = 30;

const enqueueRequest = z
  .object({
    type: z.string({ error: "`type` is required and must be a string." }).min(1).max(64),
    input: z.unknown().optional(),
    delaySeconds: z.number().int().min(0).max(MAX_DELAY_SECONDS).optional(),
    runAt: z.iso.datetime({ offset: true }).optional(),
    idempotencyKey: z.string().optional(),
  })
  .strict()
  .refine((request) => request.delaySeconds === undefined || request.runAt === undefined, {
    message: "Give `delaySeconds` or `runAt`, not both.",
    path: ["runAt"],
  });

export type EnqueueRequest = z.input<typeof enqueueRequest>;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Checks the request shape, the type and the type's input schema. Throws ValidationError; writes nothing. */
export function validateEnqueueRequest(body: unknown, deps: Pick<Dependencies, "taskTypes">, now = new Date()) {
  const request = enqueueRequest.safeParse(body);
  if (!request.success) {
    throw new ValidationError(
      "invalid_request",
      'The request body must be {"type": string, "input"?: object, "delaySeconds"?: integer, "runAt"?: ISO-8601}.',
      { issues: describeIssues(request.error) },
    );
  }
  const type = deps.taskTypes.get(request.data.type);
  const input = type.input.safeParse(request.data.input ?? {});
  if (!input.success) {
    throw new ValidationError("invalid_input", `The input does not match task type ${type.name}'s schema.`, {
      type: type.name,
      issues: describeIssues(input.error),
    });
  }
  return { type, input: input.data, runAt: runAtOf(request.data, now), request: request.data };
}

function runAtOf(request: { delaySeconds?: number | undefined; runAt?: string | undefined }, now: Date): Date | undefined {
  if (request.delaySeconds !== undefined) return new Date(now.getTime() + request.delaySeconds * 1000);
  if (request.runAt === undefined) return undefined;
  const runAt = new Date(request.runAt);
  if (runAt.getTime() - now.getTime() > MAX_DELAY_SECONDS * 1000) {
    throw new ValidationError("invalid_request", `runAt may be at most ${MAX_DELAY_SECONDS / 86_400} days ahead.`, {
      issues: [{ path: "runAt", message: "too far ahead" }],
    });
  }
  return runAt;
}

export interface EnqueueOptions {
  /** The caller's tenant, from the authorizer: the task belongs to it. */
  readonly tenant: string;
  /** From the Idempotency-Key header (or the body's `idempotencyKey`). */
  readonly idempotencyKey?: string | undefined;
}

/** The task, and whether it was created now or replayed for an Idempotency-Key seen before. */
export interface Enqueued {
  readonly task: Task;
  readonly replayed: boolean;
}

export async function enqueue(body: unknown, deps: Dependencies, options: EnqueueOptions): Promise<Enqueued> {
  const now = deps.clock.now();
  const { type, input, runAt, request } = validateEnqueueRequest(body, deps, now);
  const { tenant } = options;
  type.checkAccess?.(input, { tenant, config: deps.config });
  const idempotencyKey = options.idempotencyKey ?? request.idempotencyKey;
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ValidationError("invalid_idempotency_key", "An Idempotency-Key is 1 to 255 printable ASCII characters.");
  }
  await refuseWhenQueueFull(deps);
  await refuseOverTenantQuota(tenant, deps);

  const task = createTask({
    id: newTaskId(now),
    tenant,
    type: type.name,
    input,
    maxAttempts: type.retry.maxAttempts,
    retentionDays: type.retentionDays,
    runAt,
    now,
  });

  if (idempotencyKey !== undefined) {
    const fingerprint = fingerprintOf({ type: type.name, input, delaySeconds: request.delaySeconds, runAt: request.runAt });
    const expiresAt = Math.floor(now.getTime() / 1000) + deps.config.idempotencyWindowSeconds;
    const record = { fingerprint, taskId: task.id, expiresAt, reservedAt: now.getTime() };
    const outcome = await deps.idempotency.reserve(tenant, idempotencyKey, record, now);
    if (!outcome.reserved) {
      const replayed = await replay(outcome.existing, fingerprint, tenant, deps);
      if (replayed) return replayed;
      // The key's first request died before writing its task: this request takes the key over and creates it.
      const tookOver = await deps.idempotency.takeOver(tenant, idempotencyKey, outcome.existing.taskId, record);
      if (!tookOver) throw keyInProgress(outcome.existing.taskId);
      deps.logger.warn("idempotency key taken over from a request that never wrote its task", {
        staleTaskId: outcome.existing.taskId,
        taskId: task.id,
      });
    }
  }

  try {
    await deps.store.create(task);
  } catch (error) {
    if (idempotencyKey !== undefined) await deps.idempotency.release(tenant, idempotencyKey, task.id).catch(() => {});
    throw error;
  }
  try {
    await sendUnlessFarAhead(task, deps, now);
  } catch (cause) {
    // The record exists but no message does. Fail it now (and free the key) so that a retry starts afresh; should even
    // that write fail, the sweeper finds the queued task and sends it.
    const error = new UnavailableError("queue_unavailable", "The task queue could not be reached; try again later.", {
      details: { taskId: task.id },
      cause,
      retryAfterSeconds: 5,
    });
    deps.logger.error("enqueue: send failed; marking the task failed", { taskId: task.id, type: task.type, error: cause });
    await deps.store
      .abandon(task, toTaskError(error), deps.clock.now())
      .catch((abandonError: unknown) =>
        deps.logger.error("enqueue: could not mark the unsent task failed", { taskId: task.id, error: abandonError }),
      );
    if (idempotencyKey !== undefined) await deps.idempotency.release(tenant, idempotencyKey, task.id).catch(() => {});
    throw error;
  }
  deps.logger.info("task enqueued", { taskId: task.id, type: task.type, runAt: task.runAt });
  return { task, replayed: false };
}

/** Sends the task's message, delayed until its run time when that is within SQS's 15 minutes. */
async function sendUnlessFarAhead(task: Task, deps: Dependencies, now: Date): Promise<void> {
  const wait = task.runAt ? Date.parse(task.runAt) - now.getTime() : 0;
  if (wait > MAX_SQS_DELAY_MS) return; // the sweeper queues it when it is nearly due
  await deps.queue.send(
    { id: task.id, tenant: task.tenant, type: task.type },
    wait > 0 ? { delaySeconds: Math.ceil(wait / 1000) } : {},
  );
}

async function refuseWhenQueueFull(deps: Dependencies): Promise<void> {
  const limit = deps.config.maxQueueDepth;
  if (limit <= 0) return;
  let depth: number;
  try {
    depth = await deps.queue.approximateDepth();
  } catch (error) {
    // Fail open: if the queue cannot be read, the send below fails too and answers 503.
    deps.logger.warn("enqueue: could not read the queue depth", { error });
    return;
  }
  if (depth >= limit) {
    throw new UnavailableError("queue_full", `The queue holds ${depth} tasks, at or over its limit of ${limit}.`, {
      details: { depth, limit },
      retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS,
    });
  }
}

/** What a tenant over its live-task cap is asked to wait. */
const TENANT_QUOTA_RETRY_AFTER_SECONDS = 10;

/**
 * The per-tenant cap on live tasks (off unless `maxLiveTasksPerTenant` is set): counts the tenant's scheduled,
 * queued, running and retrying tasks on the per-tenant status index, up to four Query calls (Select COUNT, stopping
 * once the cap is reached). A cap, not a reservation: requests racing at the edge may overshoot it by their number.
 */
async function refuseOverTenantQuota(tenant: string, deps: Dependencies): Promise<void> {
  const limit = deps.config.maxLiveTasksPerTenant;
  if (limit <= 0) return;
  const live = await deps.queries.countLive(tenant, limit);
  if (live >= limit) {
    throw new UnavailableError(
      "tenant_quota_exceeded",
      `You have ${live} live tasks, at or over your limit of ${limit}; wait for some to finish.`,
      { details: { live, limit }, retryAfterSeconds: TENANT_QUOTA_RETRY_AFTER_SECONDS },
    );
  }
}

/** A binding older than this whose task does not exist belongs to a request that died: it may be taken over. */
const STALE_RESERVATION_MS = 10_000;

/**
 * The key was used before: the same request gets the original task; another request is refused. Undefined when the
 * key's task never appeared and its reservation is stale (the caller takes the key over).
 */
async function replay(
  existing: { fingerprint: string; taskId: string; reservedAt: number },
  fingerprint: string,
  tenant: string,
  deps: Dependencies,
): Promise<Enqueued | undefined> {
  if (existing.fingerprint !== fingerprint) {
    throw new ConflictError(
      "idempotency_key_reused",
      "This Idempotency-Key was used with a different request; use a new key for a new task.",
      { taskId: existing.taskId },
    );
  }
  // The winner of a concurrent race may still be writing its task: give it a moment.
  const deadline = Date.now() + 2_000;
  for (;;) {
    const task = await deps.store.get(existing.taskId, deps.clock.now());
    if (task && task.tenant === tenant) return { task, replayed: true };
    if (Date.now() > deadline) {
      if (deps.clock.now().getTime() - existing.reservedAt > STALE_RESERVATION_MS) return undefined;
      throw keyInProgress(existing.taskId);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function keyInProgress(taskId: string): ConflictError {
  return new ConflictError(
    "idempotency_key_in_progress",
    "A request with this Idempotency-Key is still being processed; retry shortly.",
    { taskId },
  );
}

/** A stable hash of a request: same fields and values, same fingerprint, whatever the key order. */
function fingerprintOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("base64url");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}
