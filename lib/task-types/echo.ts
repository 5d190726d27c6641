/**
 * `echo`: a diagnostic task type for smoke tests and for trying Offload out. It returns its message, and can be told
 * to take time, report progress, or fail, so every path of the pipeline can be exercised without real work.
 */
import { z } from "zod";
import { NonRetriableError, RetryableError } from "../domain/errors.ts";
import { defineTaskType } from "./task-type.ts";

const input = z
  .object({
    message: z.string().max(1000).default(""),
    /** Milliseconds to work for, in `steps` equal parts, reporting progress after each. */
    sleepMs: z.number().int().min(0).max(60_000).default(0),
    steps: z.number().int().min(1).max(100).default(1),
    /** Fail the first N attempts with a retryable error. */
    failAttempts: z.number().int().min(0).max(10).default(0),
    /** Fail every attempt with a non-retryable error. */
    failPermanently: z.boolean().default(false),
  })
  .strict();

export const echoTaskType = defineTaskType({
  name: "echo",
  description: "Diagnostic: echoes `message` after `sleepMs`, optionally failing. For smoke tests.",
  input,
  timeoutSeconds: 90,
  retry: { maxAttempts: 3, baseDelaySeconds: 1, factor: 2, maxDelaySeconds: 10 },
  retentionDays: 7,
  async handler(task, context) {
    if (task.failPermanently) {
      throw new NonRetriableError("echo_failed", "echo was asked to fail permanently (failPermanently: true).");
    }
    if (context.attempt <= task.failAttempts) {
      throw new RetryableError(
        "echo_transient_failure",
        `echo was asked to fail its first ${task.failAttempts} attempt(s); this was attempt ${context.attempt}.`,
      );
    }
    for (let step = 1; step <= task.steps; step++) {
      await sleep(task.sleepMs / task.steps, context.signal);
      await context.reportProgress({
        percent: Math.round((step / task.steps) * 100),
        current: step,
        total: task.steps,
        message: `step ${step} of ${task.steps}`,
      });
    }
    return { message: task.message, attempt: context.attempt };
  },
});

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
