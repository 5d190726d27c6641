/** Task types for tests: their handlers count what they do, so a test can prove a task ran exactly once. */
import { z } from "zod";
import { NonRetriableError } from "../../lib/domain/errors.ts";
import { echoTaskType } from "../../lib/task-types/echo.ts";
import { builtInTaskTypes, TaskTypeRegistry } from "../../lib/task-types/registry.ts";
import { type AnyTaskType, defineTaskType } from "../../lib/task-types/task-type.ts";

export interface Counter {
  readonly runs: Map<string, number>;
  /** Task ids whose attempt saw its AbortSignal fire. */
  readonly aborted: Set<string>;
  /** While true, every run fails with a non-retryable error. */
  failing: boolean;
  total(): number;
}

/**
 * `count`: records one run per task id, waits `holdMs` (honouring its signal), returns the run number.
 * No progress writes, so it shows the worker's own AWS calls alone.
 */
export function countingTaskType(options: { timeoutSeconds?: number } = {}) {
  const counter: Counter = {
    runs: new Map(),
    aborted: new Set(),
    failing: false,
    total() {
      return [...this.runs.values()].reduce((a, b) => a + b, 0);
    },
  };
  const type = defineTaskType({
    name: "count",
    description: "Test: counts its runs.",
    input: z.object({ holdMs: z.number().int().min(0).default(0), note: z.string().optional() }).strict(),
    timeoutSeconds: options.timeoutSeconds ?? 5,
    retry: { maxAttempts: 3, baseDelaySeconds: 1, factor: 1, maxDelaySeconds: 1, jitter: 0 },
    async handler(input, context) {
      const run = (counter.runs.get(context.taskId) ?? 0) + 1;
      counter.runs.set(context.taskId, run);
      if (counter.failing) throw new NonRetriableError("told_to_fail", "The test switched this type to failing.");
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, input.holdMs);
        context.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          counter.aborted.add(context.taskId);
          reject(context.signal.reason);
        });
      });
      return { run };
    },
  });
  return { type: type as unknown as AnyTaskType, counter };
}

export function registryWith(...types: AnyTaskType[]): TaskTypeRegistry {
  return new TaskTypeRegistry([...builtInTaskTypes(), ...types]);
}

export { echoTaskType };
