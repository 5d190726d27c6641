/** What the fault suite sends, and what each task must end as. */
import type { FaultMode } from "./fault-task-type.ts";

/**
 * How a task gets into the system: `normal` through enqueue; `stranded` written with no message sent (a producer that
 * died between the write and the send); `sendFailure` through an enqueue whose SQS send throws.
 */
export type Entry = "normal" | "stranded" | "sendFailure";

export interface PlannedTask {
  readonly mode: FaultMode;
  readonly entry: Entry;
  readonly sleepMs: number;
  /** Also send a second copy of its message (a duplicate delivery), this many ms after the enqueue. */
  readonly duplicateAfterMs: number | undefined;
}

export const MIX: Readonly<Record<FaultMode | Exclude<Entry, "normal">, number>> = {
  ok: 786,
  transient: 88,
  permanent: 44,
  hangOnce: 33,
  hangAlways: 11,
  slow: 99,
  stranded: 22,
  sendFailure: 17,
};

export const DUPLICATE_SHARE = 0.05;

export function buildPlan(random: () => number = Math.random): PlannedTask[] {
  const plan: PlannedTask[] = [];
  for (const [kind, count] of Object.entries(MIX)) {
    for (let i = 0; i < count; i++) {
      const entry: Entry = kind === "stranded" || kind === "sendFailure" ? kind : "normal";
      const mode = (entry === "normal" ? kind : "ok") as FaultMode;
      plan.push({
        mode,
        entry,
        sleepMs: mode === "slow" ? 1_000 + Math.floor(random() * 1_000) : 0,
        duplicateAfterMs: entry === "normal" && random() < DUPLICATE_SHARE ? Math.floor(random() * 4_000) : undefined,
      });
    }
  }
  // Fisher–Yates, so every kind of fault is spread over the whole run.
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  return plan;
}

export type Expected = { status: "succeeded" } | { status: "failed"; code: string };

export function expectedOutcome(mode: FaultMode): Expected {
  if (mode === "permanent") return { status: "failed", code: "told_to_fail" };
  if (mode === "hangAlways") return { status: "failed", code: "timeout" };
  return { status: "succeeded" };
}
