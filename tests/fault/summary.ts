/** The fault suite's report: what was injected, how every kind of task ended, and what the system did about it. */
import type { Task } from "../../lib/domain/task.ts";
import { type BatchRecovery, slowestRecoveryMs } from "./observe.ts";
import type { Expected, PlannedTask } from "./plan.ts";

export interface RunFigures {
  readonly planned: number;
  readonly tasks: readonly Task[];
  readonly tracked: ReadonlyMap<string, { planned: PlannedTask; expected: Expected; answered503: boolean }>;
  readonly effects: ReadonlyMap<string, readonly string[]>;
  readonly counters: Readonly<{
    enqueueErrors: number;
    answered503: number;
    duplicates: number;
    outages: number;
    orphans: number;
    throttles: number;
    kills: number;
    interrupted: number;
  }>;
  readonly enqueuedInMs: number;
  readonly elapsedMs: number;
  readonly settled: boolean;
  readonly queueLeft: number;
  readonly deadLetterLeft: number;
  readonly problems: readonly string[];
  readonly repeatedByKill: readonly string[];
  /** Epoch ms the run started at (kills are reported relative to it). */
  readonly startedAt: number;
  /** Per SIGKILL during the run: how long until each slow task it cut short ran again. */
  readonly recoveries: readonly BatchRecovery[];
}

interface Row {
  tasks: number;
  succeeded: number;
  failed: Map<string, number>;
  other: number;
  effects: number;
  retried: number;
  retries: number;
  resent: number;
}

export function formatSummary(figures: RunFigures): string {
  const rows = new Map<string, Row>();
  const byId = new Map(figures.tasks.map((task) => [task.id, task]));
  let totalRetries = 0;
  let totalResent = 0;
  for (const [id, { planned }] of figures.tracked) {
    const kind = planned.entry === "normal" ? planned.mode : planned.entry;
    const row = rows.get(kind) ?? {
      tasks: 0,
      succeeded: 0,
      failed: new Map(),
      other: 0,
      effects: 0,
      retried: 0,
      retries: 0,
      resent: 0,
    };
    rows.set(kind, row);
    row.tasks++;
    row.effects += figures.effects.get(id)?.length ?? 0;
    const task = byId.get(id);
    if (!task) {
      row.other++;
      continue;
    }
    if (task.status === "succeeded") row.succeeded++;
    else if (task.status === "failed") {
      const code = task.error?.code ?? "?";
      row.failed.set(code, (row.failed.get(code) ?? 0) + 1);
    } else row.other++;
    const history = task.history ?? [];
    const retries = history.filter((event) => event.to === "retrying" && event.from !== "retrying").length;
    const resent = history.filter((event) => /by the sweeper/.test(event.note ?? "")).length;
    if (task.attempt > 1) row.retried++;
    row.retries += retries;
    row.resent += resent;
    totalRetries += retries;
    totalResent += resent;
  }

  const header = [
    "kind",
    "tasks",
    "succeeded",
    "failed (code)",
    "not terminal",
    "side effects",
    "attempts>1",
    "retries",
    "re-sent",
  ];
  const table = [header];
  const order = ["ok", "transient", "permanent", "hangOnce", "hangAlways", "slow", "stranded", "sendFailure"];
  for (const kind of [...rows.keys()].sort((a, b) => order.indexOf(a) - order.indexOf(b))) {
    const row = rows.get(kind)!;
    const failed = [...row.failed].map(([code, n]) => `${n} ${code}`).join(", ") || "0";
    table.push(
      [kind, row.tasks, row.succeeded, failed, row.other, row.effects, row.retried, row.retries, row.resent].map(
        String,
      ),
    );
  }
  const widths = header.map((_, i) => Math.max(...table.map((cells) => cells[i]!.length)));
  const lines = table.map((cells) =>
    cells.map((cell, i) => (i === 0 || i === 3 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "),
  );

  const waits = figures.tasks.flatMap((task) => {
    const claimed = (task.history ?? []).find((event) => event.to === "running");
    return claimed ? [Date.parse(claimed.at) - Date.parse(task.createdAt)] : [];
  });
  const c = figures.counters;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  return [
    "",
    "=== Offload fault-injection summary ===",
    `tasks: ${figures.tracked.size} (${figures.planned} planned` +
      `${c.orphans ? `, ${c.orphans} written before a cut connection hid the answer` : ""}` +
      `${c.answered503 - countSendFailures(figures) > 0 ? `, ${c.answered503 - countSendFailures(figures)} re-submitted after a 503` : ""})`,
    `injected: duplicate messages ${c.duplicates}; SQS send failures after the write ${countSendFailures(figures)}; ` +
      `stranded records ${countEntry(figures, "stranded")}; DynamoDB UpdateItem throttles ${c.throttles}; ` +
      `worker SIGKILLs ${c.kills} (slow tasks running at the kills: ${c.interrupted}); emulator outages ${c.outages}`,
    "  (the outage takes the emulator's HTTP front end down for 2 s and back on the same port with its data: it models a",
    "   restart of a persistent emulator or a service outage; an in-memory restart would lose every queued message,",
    "   which no queue survives)",
    `enqueue calls that failed during the outage and were retried: ${c.enqueueErrors}; answered 503 queue_unavailable: ${c.answered503}`,
    "",
    ...lines,
    "",
    `retries (retrying transitions): ${totalRetries}; sweeper re-sends: ${totalResent}`,
    `successes whose handler ran twice because a SIGKILL landed between its side effect and its outcome write: ` +
      `${figures.repeatedByKill.length}${figures.repeatedByKill.length ? ` (${figures.repeatedByKill.join(", ")})` : ""}`,
    "  (at-least-once: the new attempt starts only after the dead attempt's lease expired, never alongside it)",
    `queue wait (created → first claim): median ${seconds(percentile(waits, 0.5))} s, ` +
      `p95 ${seconds(percentile(waits, 0.95))} s, max ${seconds(percentile(waits, 1))} s`,
    "recovery of the slow tasks each SIGKILL cut short (until running again in a new attempt, or finished), under load",
    "  (re-sent messages wait their turn in the queue as above, and the sweeper re-sends waiting tasks too; the bound,",
    "   timed on a quiet queue below, holds while workers have room):",
    ...figures.recoveries.map(
      (recovery) => `  kill at +${seconds(recovery.at - figures.startedAt)} s: ${describeRecovery(recovery)}`,
    ),
    `left in the task queue: ${figures.queueLeft}; in the dead-letter queue: ${figures.deadLetterLeft}; settled: ${figures.settled}`,
    `time: enqueued in ${seconds(figures.enqueuedInMs)} s, all terminal and queues empty after ${seconds(figures.elapsedMs)} s`,
    `problems: ${figures.problems.length}`,
    ...figures.problems.slice(0, 30).map((problem) => `  - ${problem}`),
    "",
  ].join("\n");
}

/** "4 tasks, all running again within 8.1 s (7.2, 7.5, 8.0, 8.1 s)". */
export function describeRecovery(recovery: BatchRecovery): string {
  const times = [...recovery.times.values()];
  if (times.length === 0) return "no slow task was running";
  const slowest = slowestRecoveryMs(recovery);
  const each = times.map((time) => (time === undefined ? "never" : (time / 1000).toFixed(1))).join(", ");
  const tasks = `${times.length} task${times.length === 1 ? "" : "s"}`;
  return slowest === undefined
    ? `${tasks}, NOT all recovered (${each} s)`
    : `${tasks}, all running again within ${(slowest / 1000).toFixed(1)} s (${each} s)`;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}

function countEntry(figures: RunFigures, entry: string): number {
  return [...figures.tracked.values()].filter((t) => t.planned.entry === entry).length;
}

function countSendFailures(figures: RunFigures): number {
  return countEntry(figures, "sendFailure");
}
