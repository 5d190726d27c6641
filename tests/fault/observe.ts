/** Reads the fault suite's outcome straight from the emulator: every task record and every side-effect object. */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { isTerminal } from "../../lib/domain/status.ts";
import type { Task } from "../../lib/domain/task.ts";
import type { TestStack } from "../support/stack.ts";
import { EFFECTS_PREFIX } from "./fault-task-type.ts";
import type { KilledBatch } from "./worker-control.ts";

/** Every `fault` task in the stack's table (paginated: the records outgrow one 1 MB Scan page). */
export async function allFaultTasks(stack: TestStack): Promise<Task[]> {
  const tasks: Task[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await stack.clients.dynamo.send(
      new ScanCommand({ TableName: stack.config.tasksTable, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    for (const item of page.Items ?? [])
      if (item.type === "fault" && typeof item.status === "string") tasks.push(item as Task);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return tasks;
}

/** Side effects per task id: the names of its objects under `effects/<taskId>/`. */
export async function effectsPerTask(stack: TestStack): Promise<Map<string, string[]>> {
  const effects = new Map<string, string[]>();
  let token: string | undefined;
  do {
    const page = await stack.clients.s3.send(
      new ListObjectsV2Command({
        Bucket: stack.config.resultsBucket,
        Prefix: EFFECTS_PREFIX,
        ContinuationToken: token,
      }),
    );
    for (const object of page.Contents ?? []) {
      const [id = "", name = ""] = object.Key!.slice(EFFECTS_PREFIX.length).split("/");
      effects.set(id, [...(effects.get(id) ?? []), name]);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return effects;
}

/**
 * Whether every side effect of `task` beyond the one of its final (succeeding) attempt belongs to an attempt that a
 * SIGKILL cut short: the kill landed between that attempt's claim and the next attempt's. Such a repeat is SQS's
 * at-least-once showing through (the process died after the side effect and before it could record the outcome),
 * not a bug; any other repeat is one.
 */
export function repeatsExplainedByKills(
  task: Task,
  effectNames: readonly string[],
  killedAt: readonly number[],
): boolean {
  const attempts = effectNames.map((name) => Number(/^attempt(\d+)-/.exec(name)?.[1] ?? Number.NaN));
  if (task.status !== "succeeded" || attempts.filter((a) => a === task.attempt).length !== 1) return false;
  const claimedAt = (attempt: number) => {
    const event = (task.history ?? []).find((e) => e.to === "running" && e.attempt === attempt && !e.note);
    return event ? Date.parse(event.at) : undefined;
  };
  return attempts
    .filter((a) => a !== task.attempt)
    .every((attempt, i, repeats) => {
      const from = claimedAt(attempt);
      const until = claimedAt(attempt + 1);
      return (
        repeats.indexOf(attempt) === i &&
        from !== undefined &&
        until !== undefined &&
        killedAt.some((at) => at >= from && at <= until)
      );
    });
}

/**
 * How long after the SIGKILL at `killedAt` a task it cut short in `attempt` was running again in a new attempt, or
 * had finished, read from the task's history (the worker's own timestamps; the test and the worker share a clock).
 * Undefined while it is still held by the dead attempt.
 */
export function recoveredAfterMs(task: Task, killedAt: number, attempt: number): number | undefined {
  const event = (task.history ?? []).find(
    (e) => (e.to === "running" && e.attempt > attempt) || isTerminal(e.to),
  );
  return event ? Math.max(0, Date.parse(event.at) - killedAt) : undefined;
}

/** The recovery of one killed batch: per task, how long until it ran again (undefined: it did not). */
export interface BatchRecovery {
  readonly at: number;
  readonly times: ReadonlyMap<string, number | undefined>;
}

export function batchRecovery(batch: KilledBatch, tasks: ReadonlyMap<string, Task>): BatchRecovery {
  const times = new Map<string, number | undefined>();
  for (const [id, attempt] of batch.attempts) {
    const task = tasks.get(id);
    times.set(id, task && recoveredAfterMs(task, batch.at, attempt));
  }
  return { at: batch.at, times };
}

/** The slowest task of a batch (undefined if one has not recovered, or the batch was empty). */
export function slowestRecoveryMs(recovery: BatchRecovery): number | undefined {
  const times = [...recovery.times.values()];
  if (times.length === 0 || times.some((time) => time === undefined)) return undefined;
  return Math.max(...(times as number[]));
}
