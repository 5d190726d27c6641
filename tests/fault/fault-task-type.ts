/**
 * `fault`: the test task type of the fault-injection suite. Its input says how it misbehaves; on success it leaves
 * exactly one side effect outside the worker process (an S3 object `effects/<taskId>/attempt<n>-<random>`), so the test can count
 * how many times each task really succeeded, whatever happened to the worker.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { NonRetriableError, RetryableError } from "../../lib/domain/errors.ts";
import { type AnyTaskType, defineTaskType } from "../../lib/task-types/task-type.ts";

export const FAULT_MODES = ["ok", "transient", "permanent", "hangOnce", "hangAlways", "slow"] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export const EFFECTS_PREFIX = "effects/";
export const PERMANENT_CODE = "told_to_fail";

/** What the handler tells its host (the worker process forwards it to the test over IPC). */
export type FaultEvent = { kind: "slow-start" | "slow-end"; taskId: string; attempt: number };

const input = z
  .object({
    mode: z.enum(FAULT_MODES),
    /** For `slow`: how long to work, honouring the signal (keep it well inside the 3 s timeout). */
    sleepMs: z.number().int().min(0).max(10_000).default(0),
    /** Which bucket of the test's plan the task belongs to (ok, stranded, send failure...). */
    plan: z.string().max(32).optional(),
  })
  .strict();

export type FaultInput = z.input<typeof input>;

export function faultTaskType(onEvent: (event: FaultEvent) => void = () => {}): AnyTaskType {
  const type = defineTaskType({
    name: "fault",
    description: "Test: misbehaves as its input says; leaves one S3 object per success.",
    input,
    timeoutSeconds: 3,
    retry: { maxAttempts: 4, baseDelaySeconds: 1, factor: 1.5, maxDelaySeconds: 3, jitter: 0.2 },
    retentionDays: 1,
    async handler(task, context) {
      switch (task.mode) {
        case "transient":
          if (context.attempt === 1) throw new RetryableError("told_to_retry", "First attempt fails on purpose.");
          break;
        case "permanent":
          throw new NonRetriableError(PERMANENT_CODE, "This task fails on purpose, for good.");
        case "hangOnce":
          if (context.attempt === 1) await new Promise(() => {}); // ignores its signal; the worker's race times it out
          break;
        case "hangAlways":
          await new Promise(() => {});
          break;
        case "slow":
          onEvent({ kind: "slow-start", taskId: context.taskId, attempt: context.attempt });
          try {
            await sleep(task.sleepMs, context.signal);
          } finally {
            onEvent({ kind: "slow-end", taskId: context.taskId, attempt: context.attempt });
          }
          break;
        case "ok":
          break;
      }
      // The side effect, just before returning: one object per successful run.
      await context.services.blobs.put(
        `${EFFECTS_PREFIX}${context.taskId}/attempt${context.attempt}-${randomUUID()}`,
        String(context.attempt),
        {
          contentType: "text/plain",
          signal: context.signal,
        },
      );
      return { attempt: context.attempt };
    },
  });
  return type as unknown as AnyTaskType;
}

/**
 * `fault-batch`: the batch the recovery measurement kills. Its first attempt holds for `holdMs` (honouring its signal)
 * and reports itself as a slow task; later attempts succeed at once, with the same one side effect per success. Its
 * time limit is long next to the heartbeat, as production's 300 s is next to its heartbeat, so that its lease is
 * the heartbeats' and not the deadline's.
 */
export function faultBatchTaskType(onEvent: (event: FaultEvent) => void = () => {}): AnyTaskType {
  const type = defineTaskType({
    name: "fault-batch",
    description: "Test: holds its first attempt until killed; later attempts succeed at once.",
    input: z.object({ holdMs: z.number().int().min(0).max(60_000) }).strict(),
    timeoutSeconds: 60,
    retry: { maxAttempts: 4, baseDelaySeconds: 1, factor: 1.5, maxDelaySeconds: 3, jitter: 0.2 },
    retentionDays: 1,
    async handler(task, context) {
      if (context.attempt === 1) {
        onEvent({ kind: "slow-start", taskId: context.taskId, attempt: context.attempt });
        try {
          await sleep(task.holdMs, context.signal);
        } finally {
          onEvent({ kind: "slow-end", taskId: context.taskId, attempt: context.attempt });
        }
      }
      await context.services.blobs.put(
        `${EFFECTS_PREFIX}${context.taskId}/attempt${context.attempt}-${randomUUID()}`,
        String(context.attempt),
        { contentType: "text/plain", signal: context.signal },
      );
      return { attempt: context.attempt };
    },
  });
  return type as unknown as AnyTaskType;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}
