/**
 * Run one delivery of a task message: claim the task, run its type's handler under a deadline, record the outcome.
 * AWS calls for a successful task: one consistent GetItem, then two conditional UpdateItems (the claim and the
 * completion), plus the handler's own I/O, its throttled progress writes and, past `heartbeatSeconds`, heartbeats
 * (one UpdateItem and one ChangeMessageVisibility each).
 *
 * The attempt's lease lasts two heartbeats and a margin (lib/domain/lease.ts), each heartbeat extends it and keeps the
 * message invisible until just after it ends: if this worker dies, the task is free (and its message visible again)
 * a lease after its last heartbeat, and the sweeper re-sends the message of a task whose lease has ended.
 */
import { randomUUID } from "node:crypto";
import { ContinueLater, RetryableError, TransitionConflictError, toTaskError } from "../domain/errors.ts";
import { backoffSeconds, hasAttemptsLeft } from "../domain/retry.ts";
import { leaseExpiry, leaseMs } from "../domain/lease.ts";
import { claimRefusal } from "../domain/lifecycle.ts";
import { SQS_MAX_VISIBILITY_SECONDS } from "../domain/retry.ts";
import { TaskStatus } from "../domain/status.ts";
import type { Task } from "../domain/task.ts";
import type { TaskMessage } from "../ports.ts";
import type { AnyTaskType } from "../task-types/task-type.ts";
import type { Dependencies } from "./dependencies.ts";
import { ProgressReporter } from "./progress.ts";

export interface Delivery {
  readonly message: TaskMessage;
  readonly receiptHandle: string;
  /** SQS's ApproximateReceiveCount. */
  readonly receiveCount: number;
}

export type DeliveryOutcome =
  /** Done with this message: delete it. */
  | {
      readonly kind: "ack";
      readonly status: "succeeded" | "failed" | "cancelled" | "duplicate" | "gone" | "continued" | "rescheduled";
    }
  /** Leave the message in the queue; it becomes visible again after `delaySeconds`. */
  | { readonly kind: "retry"; readonly delaySeconds: number; readonly reason: string };

export interface RunOptions {
  /** Milliseconds the invocation has left (Lambda's `getRemainingTimeInMillis`). */
  readonly remainingTimeMs: () => number;
}

/** Time kept back from the invocation's remaining time to record the outcome after a handler is aborted. */
const SAFETY_MARGIN_MS = 5_000;
/** An attempt whose heartbeats could not extend its lease stops this long before the lease ends. */
const LEASE_STOP_MARGIN_MS = 2_000;
/** Back-off for deliveries that failed on our own infrastructure (throttling, a network error). */
const INFRASTRUCTURE_RETRY_SECONDS = 10;
/** Tries of an outcome write, and the pause before the second (doubling after): 0.2 + 0.4 + 0.8 + 1.6 s at most. */
const OUTCOME_WRITE_TRIES = 5;
const OUTCOME_WRITE_PAUSE_MS = 200;

/** The lease this delivery holds; heartbeats move `expiresAt` on. */
interface HeldLease {
  readonly token: string;
  expiresAt: number;
}

export async function runDelivery(delivery: Delivery, deps: Dependencies, options: RunOptions): Promise<DeliveryOutcome> {
  const { message } = delivery;
  const log = { taskId: message.id, type: message.type, receiveCount: delivery.receiveCount };

  let task: Task;
  let lease: HeldLease;
  let deadline: number;
  let type: AnyTaskType;
  try {
    const found = await deps.store.get(message.id, deps.clock.now());
    if (!found || found.tenant !== message.tenant) {
      deps.logger.warn("message for a task that does not exist (expired or never written); dropping it", log);
      return { kind: "ack", status: "gone" };
    }
    const known = deps.taskTypes.find(found.type);
    if (!known) {
      deps.logger.error("task type is not deployed; failing the task", log);
      await abandonQuietly(deps, found, {
        code: "unknown_task_type",
        message: `Task type ${JSON.stringify(found.type)} is not deployed on this worker.`,
        retryable: false,
      });
      return { kind: "ack", status: "failed" };
    }
    type = known;
    const now = deps.clock.now();
    const refusal = claimRefusal(found, now);
    if (refusal) return await onRefusal(found, refusal, delivery, deps);
    deadline = now.getTime() + Math.min(type.timeoutSeconds * 1000, options.remainingTimeMs() - SAFETY_MARGIN_MS);
    lease = {
      token: randomUUID(),
      expiresAt: leaseExpiry(now.getTime(), deadline, leaseMs(deps.config.heartbeatSeconds)),
    };
    task = await deps.store.claim(found, lease, now);
  } catch (error) {
    if (error instanceof TransitionConflictError) {
      // Someone else changed the task between our read and our claim: look again on the next delivery.
      deps.logger.info("the task changed while being claimed; redelivering", log);
      return retryAfterInfrastructureError(delivery, deps, 1);
    }
    deps.logger.warn("claim failed; the delivery will be retried", { ...log, error });
    return retryAfterInfrastructureError(delivery, deps, INFRASTRUCTURE_RETRY_SECONDS);
  }

  const attemptLog = { ...log, attempt: task.attempt };
  deps.logger.info("attempt started", attemptLog);
  const result = await runHandler(type, task, lease, deadline, delivery, deps);

  try {
    if (!result.ok && isCancellation(result.error)) {
      deps.logger.info("task was cancelled; the attempt stopped", attemptLog);
      await cleanUpAfterFailure(type, task, deps);
      return { kind: "ack", status: "cancelled" };
    }
    if (result.ok) {
      await recordOutcome(() => deps.store.complete(task, lease.token, result.value, deps.clock.now()), lease);
      deps.logger.info("task succeeded", attemptLog);
      return { kind: "ack", status: "succeeded" };
    }
    if (result.error instanceof ContinueLater) return await continueInNewDelivery(task, lease.token, delivery, deps);
    const error = toTaskError(result.error);
    if (error.retryable && hasAttemptsLeft(type.retry, task.attempt)) {
      const delaySeconds = backoffSeconds(type.retry, task.attempt);
      const failedAt = deps.clock.now();
      const retryAt = new Date(failedAt.getTime() + delaySeconds * 1000);
      await recordOutcome(() => deps.store.fail(task, lease.token, error, failedAt, retryAt), lease);
      deps.logger.warn("attempt failed; retrying", { ...attemptLog, error: result.error, delaySeconds });
      await deps.queue.delay(delivery.receiptHandle, delaySeconds);
      return { kind: "retry", delaySeconds, reason: error.code };
    }
    const failed = await recordOutcome(() => deps.store.fail(task, lease.token, error, deps.clock.now()), lease);
    deps.logger.error("task failed", { ...attemptLog, error: result.error });
    await cleanUpAfterFailure(type, failed, deps);
    await deps.queue.sendToDeadLetter(message, error);
    return { kind: "ack", status: "failed" };
  } catch (error) {
    if (error instanceof TransitionConflictError) {
      if (isCancellation(error)) {
        deps.logger.info("task was cancelled while its attempt ran; the outcome is discarded", attemptLog);
        await cleanUpAfterFailure(type, task, deps);
        return { kind: "ack", status: "cancelled" };
      }
      // Our lease was taken over (it expired and another delivery claimed the task): that attempt owns the outcome.
      deps.logger.warn("lease lost before the outcome was recorded; discarding it", { ...attemptLog, error });
      return { kind: "ack", status: "duplicate" };
    }
    // The outcome could not be written. Come back once the lease has expired, so the next delivery can take over.
    deps.logger.error("could not record the outcome; the delivery will be retried", { ...attemptLog, error });
    const untilLeaseExpires = Math.ceil((lease.expiresAt - deps.clock.now().getTime()) / 1000) + 1;
    return retryAfterInfrastructureError(delivery, deps, Math.max(INFRASTRUCTURE_RETRY_SECONDS, untilLeaseExpires));
  }
}

/**
 * Writes an attempt's outcome, trying again on an infrastructure error (throttling, a dropped connection) while the
 * lease holds. Giving up at the first error would let the next delivery take the task over and run a handler that
 * already finished a second time. A conflict is final: the task was cancelled or taken over.
 */
async function recordOutcome<T>(write: () => Promise<T>, lease: { expiresAt: number }): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await write();
    } catch (error) {
      const pause = OUTCOME_WRITE_PAUSE_MS * 2 ** (tries - 1);
      if (error instanceof TransitionConflictError || tries >= OUTCOME_WRITE_TRIES || Date.now() + pause >= lease.expiresAt) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

type HandlerResult = { ok: true; value: unknown } | { ok: false; error: unknown };

async function runHandler(
  type: AnyTaskType,
  task: Task,
  lease: HeldLease,
  deadline: number,
  delivery: Delivery,
  deps: Dependencies,
): Promise<HandlerResult> {
  const leaseToken = lease.token;
  const controller = new AbortController();
  // Heartbeats that keep failing must not let the lease end under a running handler: another delivery would then
  // run the task alongside it. The attempt stops just before the lease it holds ends, unless a heartbeat extended it.
  let leaseWatch: ReturnType<typeof setTimeout> | undefined;
  let finished = false;
  const watchLease = () => {
    clearTimeout(leaseWatch);
    if (finished) return; // a heartbeat that was in flight when the handler returned
    leaseWatch = setTimeout(
      () =>
        controller.abort(
          new RetryableError("lease_expired", "The attempt's heartbeats could not extend its lease; it stopped."),
        ),
      Math.max(0, lease.expiresAt - LEASE_STOP_MARGIN_MS - Date.now()),
    );
  };
  watchLease();
  let beating = false; // one heartbeat at a time: a slow one is not overtaken by the next
  const heartbeat = setInterval(() => {
    if (beating) return;
    beating = true;
    beat(task, lease, deadline, delivery, deps, watchLease)
      .catch((error: unknown) => {
        if (error instanceof TransitionConflictError) controller.abort(error);
        else deps.logger.warn("heartbeat failed; continuing", { taskId: task.id, error });
      })
      .finally(() => {
        beating = false;
      });
  }, deps.config.heartbeatSeconds * 1000);
  const timeout = setTimeout(
    () =>
      controller.abort(
        new RetryableError("timeout", `The attempt did not finish within its time limit (${type.timeoutSeconds} s).`),
      ),
    Math.max(0, deadline - Date.now()),
  );
  const progress = new ProgressReporter({
    write: (update) => deps.store.reportProgress(task, leaseToken, update, deps.clock.now()),
    onLeaseLost: (error) => controller.abort(error),
    logger: deps.logger,
    taskId: task.id,
  });
  // A handler that ignores its signal still loses the race, so the outcome is recorded before the invocation ends.
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true });
  });
  try {
    const input = type.input.parse(task.input);
    type.checkAccess?.(input, { tenant: task.tenant, config: deps.config });
    const value = await Promise.race([
      type.handler(input, {
        taskId: task.id,
        tenant: task.tenant,
        attempt: task.attempt,
        signal: controller.signal,
        deadline,
        reportProgress: (update) => progress.report(update),
        checkpoint: task.checkpoint,
        saveCheckpoint: async (state) => {
          try {
            await deps.store.saveCheckpoint(task, leaseToken, state, deps.clock.now());
          } catch (error) {
            if (error instanceof TransitionConflictError) controller.abort(error);
            throw error;
          }
        },
        services: deps.services,
      }),
      aborted,
    ]);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: controller.signal.aborted ? controller.signal.reason : error };
  } finally {
    finished = true;
    clearTimeout(timeout);
    clearTimeout(leaseWatch);
    clearInterval(heartbeat);
    progress.close();
    aborted.catch(() => {});
  }
}

/**
 * The running attempt is alive: extend its lease by a lease's length (never past the deadline's grace), and keep its
 * message invisible until just after that: should this worker die now, the message comes back as the lease ends.
 * A conflict means the task was cancelled or taken over; the caller aborts the attempt.
 */
async function beat(
  task: Task,
  lease: HeldLease,
  deadline: number,
  delivery: Delivery,
  deps: Dependencies,
  onExtended: () => void,
) {
  const now = deps.clock.now();
  const expiresAt = leaseExpiry(now.getTime(), deadline, leaseMs(deps.config.heartbeatSeconds));
  await deps.store.heartbeat(task, lease.token, { token: lease.token, expiresAt }, now);
  lease.expiresAt = expiresAt;
  onExtended();
  const visibleAgainIn = Math.ceil((expiresAt - now.getTime()) / 1000) + 1;
  await deps.queue.delay(delivery.receiptHandle, Math.min(visibleAgainIn, SQS_MAX_VISIBILITY_SECONDS));
}

function isCancellation(error: unknown): boolean {
  return error instanceof TransitionConflictError && (error.found as Task | undefined)?.status === TaskStatus.Cancelled;
}

/** The task may not start an attempt now: decide what this message means. */
async function onRefusal(
  found: Task,
  refusal: NonNullable<ReturnType<typeof claimRefusal>>,
  delivery: Delivery,
  deps: Dependencies,
): Promise<DeliveryOutcome> {
  const log = { taskId: found.id, type: found.type, receiveCount: delivery.receiveCount, status: found.status };
  const now = deps.clock.now().getTime();
  switch (refusal.reason) {
    case "finished":
      deps.logger.info("delivery of a finished task; acknowledged", log);
      return { kind: "ack", status: "duplicate" };
    case "held": {
      // Another delivery holds the task. Come back when its lease ends: by then it has finished (and this message is
      // acknowledged as a duplicate), its heartbeats extended the lease (and this message checks back again at the
      // new end), or its worker died (and this message takes the task over).
      const delaySeconds = Math.min(Math.ceil((refusal.until - now) / 1000) + 1, SQS_MAX_VISIBILITY_SECONDS);
      deps.logger.info("task is running elsewhere; checking back when its lease ends", { ...log, delaySeconds });
      await deps.queue.delay(delivery.receiptHandle, delaySeconds);
      return { kind: "retry", delaySeconds, reason: "task_running_elsewhere" };
    }
    case "not_due": {
      const wait = Math.ceil((refusal.runAt - now) / 1000);
      if (wait > SQS_MAX_VISIBILITY_SECONDS) {
        // Too far ahead to hold a message for: the sweeper sends a fresh one when the task is nearly due.
        deps.logger.info("scheduled task is not due; the sweeper will queue it", { ...log, runAt: found.runAt });
        return { kind: "ack", status: "rescheduled" };
      }
      deps.logger.info("scheduled task is not due yet; deferring its message", { ...log, runAt: found.runAt });
      await deps.queue.delay(delivery.receiptHandle, wait);
      return { kind: "retry", delaySeconds: wait, reason: "not_due" };
    }
    case "exhausted": {
      // Live, not held, yet no attempts left: the last attempt's worker died without recording an outcome.
      deps.logger.error("attempts exhausted without an outcome; failing the task", { ...log, attempt: found.attempt });
      const error = {
        code: "attempts_exhausted",
        message: `The task's last attempt (${found.attempt} of ${found.maxAttempts}) ended without an outcome: its worker stopped or timed out.`,
        retryable: false,
      };
      if (await abandonQuietly(deps, found, error)) {
        const type = deps.taskTypes.find(found.type);
        if (type) await cleanUpAfterFailure(type, found, deps);
        await deps.queue.sendToDeadLetter(delivery.message, error);
      }
      return { kind: "ack", status: "failed" };
    }
  }
}

/**
 * The handler checkpointed and asked to go on later: hand the task back (queued, attempt returned) and queue a fresh
 * message for it. A fresh message rather than this one made visible again, so that a long run of continuations does
 * not count towards the queue's maxReceiveCount and end in the dead-letter queue.
 */
async function continueInNewDelivery(
  task: Task,
  leaseToken: string,
  delivery: Delivery,
  deps: Dependencies,
): Promise<DeliveryOutcome> {
  const log = { taskId: task.id, type: task.type, attempt: task.attempt };
  await deps.store.continueLater(task, leaseToken, deps.clock.now());
  try {
    await deps.queue.send(delivery.message);
  } catch (error) {
    // The task is queued but has no message of its own: bring this one back at once instead.
    deps.logger.warn("could not queue the continuation; redelivering this message", { ...log, error });
    return retryAfterInfrastructureError(delivery, deps, 0);
  }
  deps.logger.info("task checkpointed; continuing in a new delivery", log);
  return { kind: "ack", status: "continued" };
}

async function cleanUpAfterFailure(type: AnyTaskType, task: Task, deps: Dependencies): Promise<void> {
  if (!type.onFailed || task.checkpoint === undefined) return;
  try {
    await type.onFailed(task.checkpoint, deps.services);
  } catch (error) {
    deps.logger.warn("clean-up after the failure did not complete", { taskId: task.id, type: task.type, error });
  }
}

async function abandonQuietly(
  deps: Dependencies,
  task: Task,
  error: { code: string; message: string; retryable: boolean },
): Promise<boolean> {
  try {
    await deps.store.abandon(task, error, deps.clock.now());
    return true;
  } catch (conflict) {
    if (conflict instanceof TransitionConflictError) return false; // it changed meanwhile: someone else decided
    throw conflict;
  }
}

async function retryAfterInfrastructureError(
  delivery: Delivery,
  deps: Dependencies,
  delaySeconds: number,
): Promise<DeliveryOutcome> {
  await deps.queue.delay(delivery.receiptHandle, delaySeconds).catch((error: unknown) => {
    deps.logger.warn("could not delay the message; it returns after the queue's visibility timeout", {
      taskId: delivery.message.id,
      error,
    });
  });
  return { kind: "retry", delaySeconds, reason: "infrastructure_error" };
}
