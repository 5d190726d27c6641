/** Task types for tests: their handlers count what they do, so a test can prove a task ran exactly once. */
import { z } from "zod";
import { echoTaskType } from "../../lib/task-types/echo.ts";
import { builtInTaskTypes, TaskTypeRegistry } from "../../lib/task-types/registry.ts";
import { type AnyTaskType, defineTaskType } from "../../lib/task-types/task-type.ts";

export interface Counter {
  readonly runs: Map<string, number>;
  total(): number;
}

/**
 * `count`: records one run per task id, waits `holdMs` (honouring its signal), returns the run number.
 * No progress writes, so it shows the worker's own AWS calls alone.
 */
export function countingTaskType(options: { timeoutSeconds?: number } = {}) {
  const counter: Counter = {
    runs: new Map(),
    total() {
      return [...this.runs.values()].reduce((a, b) => a + b, 0);
    },
  };
  const type = defineTaskType({
    name: "count",
    description: "Test: counts its runs.",
    input: z.object({ holdMs: z.number().int().min(0).default(0) }).strict(),
    timeoutSeconds: options.timeoutSeconds ?? 5,
    retry: { maxAttempts: 3, baseDelaySeconds: 1, factor: 1, maxDelaySeconds: 1, jitter: 0 },
    async handler(input, context) {
      const run = (counter.runs.get(context.taskId) ?? 0) + 1;
      counter.runs.set(context.taskId, run);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, input.holdMs);
        context.signal.addEventListener("abort", () => {
          clearTimeout(timer);
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
