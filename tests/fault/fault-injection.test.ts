/**
 * The proof of issue 5: 1,100 tasks of the `fault` test type pushed through the real worker (a separate process)
 * while faults are injected — transient and permanent handler errors, handlers hanging past their timeout, SIGKILLs
 * of the worker mid-task, duplicate deliveries, SQS send failures right after the DynamoDB write, tasks stranded
 * without a message, DynamoDB throttling and an outage of the emulator. At the end every task must be terminal, every
 * task that should succeed must have succeeded with exactly one side effect, every failure must carry its reason,
 * and both queues must be empty. The figures are printed and written to tests/.artifacts/fault-summary.txt.
 *
 * Then the proof of issue 10's crash recovery: a batch held by the worker process is SIGKILLed on a quiet queue, and
 * every task of it must run again in a new attempt within the bound of lib/domain/lease.ts for the test stage's
 * params (heartbeat 1 s, sweeper every second), never before the dead attempt's lease ended.
 */
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeTaskMessage } from "../../lib/adapters/sqs-task-queue.ts";
import { OffloadError } from "../../lib/domain/errors.ts";
import { DEFAULT_HEARTBEAT_SECONDS, leaseMs, MESSAGE_WAIT_SECONDS, recoveryBoundSeconds } from "../../lib/domain/lease.ts";
import { isTerminal } from "../../lib/domain/status.ts";
import { createTask, newTaskId, type Task } from "../../lib/domain/task.ts";
import type { TaskQueue } from "../../lib/ports.ts";
import { enqueue } from "../../lib/use-cases/enqueue.ts";
import { type RunningEmulator, startEmulator } from "../../infra/emulator.ts";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import { createTestStack, REGION, TEST_TENANT, type TestStack } from "../support/stack.ts";
import { registryWith } from "../support/task-types.ts";
import { eventually } from "../support/wait.ts";
import { type FaultMode, faultBatchTaskType, faultTaskType } from "./fault-task-type.ts";
import { allFaultTasks, batchRecovery, effectsPerTask, repeatsExplainedByKills, slowestRecoveryMs } from "./observe.ts";
import { buildPlan, type Expected, expectedOutcome, type PlannedTask } from "./plan.ts";
import { describeRecovery, formatSummary, type RunFigures } from "./summary.ts";
import { WorkerControl } from "./worker-control.ts";

/** Enqueueing is spread over this long, so that the kills and the outage land mid-stream. */
const ENQUEUE_SPAN_MS = 22_000;
const ENQUEUE_LANES = 4;
const THROTTLE_RATE = 0.03;
const OUTAGE_MS = 2_000;
/** Milliseconds into the run at which the worker is SIGKILLed (once a slow task is running) and the emulator goes down. */
const KILLS_AT = [5_000, 11_000, 19_000];
const OUTAGE_AT = 14_500;
const DRAIN_DEADLINE_MS = 150_000;
/**
 * The killed batch: this many tasks held by one worker process when it is SIGKILLed. As many as the process has pollers
 * (each waits for its invocation to end before it receives again), so that all of them are running at once.
 */
const BATCH_SIZE = 8;
const BATCH_HOLD_MS = 8_000;
const ARTIFACTS = join(PROJECT_ROOT, "tests/.artifacts");
/** The worker process sweeps every second: the `test` stage's translation of the sweeper's `rate(1 minute)`. */
const SWEEP_INTERVAL_SECONDS = 1;
/** On AWS: EventBridge's `rate(1 minute)`. */
const AWS_SWEEP_INTERVAL_SECONDS = 60;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Tracked {
  readonly planned: PlannedTask;
  expected: Expected;
  /** Enqueue answered 503 queue_unavailable for this task (injected, or during the outage). */
  answered503: boolean;
}

describe("fault injection", { timeout: 300_000 }, () => {
  let emulator: RunningEmulator;
  let stack: TestStack;
  let worker: WorkerControl;

  beforeAll(async () => {
    // Its own emulator, since the test takes it down; the shared one from the global setup stays untouched.
    emulator = await startEmulator({ port: 0 });
    stack = await createTestStack({
      endpoint: emulator.endpoint,
      taskTypes: registryWith(faultTaskType(), faultBatchTaskType()),
      adjustTemplate(template) {
        // A short visibility timeout stands in for the deployed 30 minutes: a message a killed worker held comes
        // back (and is acknowledged as a duplicate) within the test instead of half an hour later.
        const queue = template.resources?.Resources?.TaskQueue as { Properties: Record<string, unknown> };
        queue.Properties.VisibilityTimeout = 20;
        // Throttles are injected before the SDK's own retries, so failed claims eat receives far more often than
        // on AWS; a backstop with more margin over the type's 4 attempts keeps the DLQ for what it is for.
        (queue.Properties.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount = 8;
      },
    });
    worker = new WorkerControl({
      ...process.env,
      // The functions' environment, WATCH_TOKEN_SECRET included (the emulator has no Secrets Manager to read it from).
      ...stack.environment,
      WORKER_TIMEOUT_SECONDS: "15",
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_REGION: REGION,
      FAULT_QUEUE_URL: stack.queueUrl,
      FAULT_QUEUE_ARN: stack.provisioned.resources.TaskQueue!.arn!,
      FAULT_DLQ_URL: stack.deadLetterQueueUrl,
      FAULT_DLQ_ARN: stack.provisioned.resources.TaskDeadLetterQueue!.arn!,
      FAULT_THROTTLE_RATE: String(THROTTLE_RATE),
    });
    await worker.start();
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await emulator?.stop();
  });

  it("ends every one of 1,100 tasks as expected, each success with exactly one side effect", async () => {
    const plan = buildPlan();
    const tracked = new Map<string, Tracked>();
    const counters = { enqueueErrors: 0, answered503: 0, duplicates: 0, outages: 0, orphans: 0 };
    const pending: Promise<unknown>[] = [];
    let outage = { from: 0, to: 0 };
    const started = Date.now();

    /** Keeps calling through the outage (as a client retrying on errors would). */
    async function persistently<T>(call: () => Promise<T>): Promise<T> {
      for (let tries = 1; ; tries++) {
        try {
          return await call();
        } catch (error) {
          if (tries >= 60) throw error;
          await pause(250);
        }
      }
    }

    /** After a 503 the record is failed (queue_unavailable), or still live (the sweeper will send it). */
    async function afterUnavailable(taskId: string, planned: PlannedTask): Promise<void> {
      const task = await persistently(() => stack.deps.store.get(taskId, new Date()));
      const failed = task?.status === "failed" && task.error?.code === "queue_unavailable";
      tracked.set(taskId, {
        planned,
        expected: failed ? { status: "failed", code: "queue_unavailable" } : expectedOutcome(planned.mode),
        answered503: true,
      });
      counters.answered503++;
    }

    const failingQueue: TaskQueue = {
      send: async () => {
        throw new Error("Injected by the fault suite: SendMessage failed after the record was written.");
      },
      approximateDepth: () => stack.deps.queue.approximateDepth(),
      delay: (handle, seconds) => stack.deps.queue.delay(handle, seconds),
      sendToDeadLetter: (message, reason) => stack.deps.queue.sendToDeadLetter(message, reason),
    };

    async function submit(planned: PlannedTask): Promise<void> {
      const input = { mode: planned.mode, sleepMs: planned.sleepMs, plan: planned.entry };
      if (planned.entry === "stranded") {
        // The producer wrote the record and died before sending: only the sweeper can get it going.
        const now = new Date();
        const task = createTask({
          id: newTaskId(now),
          tenant: TEST_TENANT,
          type: "fault",
          input,
          maxAttempts: 4,
          retentionDays: 1,
          now,
        });
        await persistently(() =>
          stack.deps.store.create(task).catch((error: unknown) => {
            if (!(error instanceof ConditionalCheckFailedException)) throw error; // an earlier try did write it
          }),
        );
        tracked.set(task.id, { planned, expected: expectedOutcome(planned.mode), answered503: false });
        return;
      }
      const deps = planned.entry === "sendFailure" ? { ...stack.deps, queue: failingQueue } : stack.deps;
      for (let tries = 1; ; tries++) {
        try {
          const { task } = await enqueue({ type: "fault", input }, deps, { tenant: TEST_TENANT });
          tracked.set(task.id, { planned, expected: expectedOutcome(planned.mode), answered503: false });
          if (planned.duplicateAfterMs !== undefined) pending.push(duplicate(task, planned.duplicateAfterMs));
          return;
        } catch (error) {
          if (error instanceof OffloadError && error.code === "queue_unavailable") {
            await afterUnavailable((error.details as { taskId: string }).taskId, planned);
            if (planned.entry === "sendFailure") return; // the client was told 503; that is the injected fault
          } else {
            counters.enqueueErrors++;
          }
          if (tries >= 60) throw error;
          await pause(250);
        }
      }
    }

    async function duplicate(task: Task, afterMs: number): Promise<void> {
      await pause(afterMs);
      await persistently(() =>
        stack.clients.sqs.send(
          new SendMessageCommand({
            QueueUrl: stack.queueUrl,
            MessageBody: encodeTaskMessage({ id: task.id, tenant: task.tenant, type: task.type }),
          }),
        ),
      );
      counters.duplicates++;
    }

    async function lanes(): Promise<void> {
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < plan.length; i = next++) {
          const due = started + (i * ENQUEUE_SPAN_MS) / plan.length;
          if (due > Date.now()) await pause(due - Date.now());
          await submit(plan[i]!);
        }
      };
      await Promise.all(Array.from({ length: ENQUEUE_LANES }, lane));
    }

    async function chaos(): Promise<void> {
      const at = async (ms: number) => {
        if (started + ms > Date.now()) await pause(started + ms - Date.now());
      };
      const events = [
        ...KILLS_AT.map((ms) => ({ ms, run: killDuringSlowTask })),
        {
          ms: OUTAGE_AT,
          run: async () => {
            counters.outages++;
            const down = Date.now();
            await emulator.restart(OUTAGE_MS);
            outage = { from: down, to: Date.now() };
          },
        },
      ].sort((a, b) => a.ms - b.ms);
      for (const event of events) {
        await at(event.ms);
        await event.run();
      }
    }

    async function killDuringSlowTask(): Promise<void> {
      await eventually(async () => worker.slowRunning.size > 0, {
        what: "a slow task to be running",
        timeoutMs: 5_000,
      }).catch(
        () => {}, // kill anyway: tasks are in flight all the time
      );
      await worker.kill();
      await pause(500); // Lambda takes a moment to start a new instance too
      await worker.start();
    }

    // Act: enqueue, with the faults going off meanwhile; then wait for the system to settle.
    await Promise.all([lanes(), chaos()]);
    await Promise.all(pending);
    const enqueuedIn = Date.now() - started;

    let settled = false;
    let tasks: Task[] = [];
    try {
      await eventually(
        async () => {
          tasks = await allFaultTasks(stack);
          if (!tasks.every((task) => isTerminal(task.status))) return false;
          return (
            (await stack.messageCount(stack.queueUrl)) === 0 &&
            (await stack.messageCount(stack.deadLetterQueueUrl)) === 0
          );
        },
        { what: "every task to finish and both queues to empty", timeoutMs: DRAIN_DEADLINE_MS, intervalMs: 1_000 },
      );
      settled = true;
    } catch {
      tasks = await allFaultTasks(stack); // report what is left below
    }
    const elapsedMs = Date.now() - started;
    const effects = await effectsPerTask(stack);
    const queueLeft = await stack.messageCount(stack.queueUrl);
    const deadLetterLeft = await stack.messageCount(stack.deadLetterQueueUrl);

    // Tasks written before a connection was cut, whose enqueue answered with an error: they must run like the rest.
    for (const task of tasks) {
      if (tracked.has(task.id)) continue;
      const mode = (task.input as { mode: FaultMode }).mode;
      counters.orphans++;
      tracked.set(task.id, {
        planned: { mode, entry: "normal", sleepMs: 0, duplicateAfterMs: undefined },
        expected: expectedOutcome(mode),
        answered503: false,
      });
    }

    const byId = new Map(tasks.map((task) => [task.id, task]));
    const problems: string[] = [];
    /** Tasks whose handler ran again because a SIGKILL cut the attempt between its side effect and its outcome. */
    const repeatedByKill: string[] = [];
    for (const [id, { expected, planned }] of tracked) {
      const task = byId.get(id);
      const count = effects.get(id)?.length ?? 0;
      if (!task) {
        problems.push(`${id} (${planned.mode}/${planned.entry}): lost, no record`);
        continue;
      }
      const code = task.error?.code;
      if (task.status !== expected.status || (expected.status === "failed" && code !== expected.code)) {
        problems.push(
          `${id} (${planned.mode}/${planned.entry}): ${task.status}${code ? ` (${code})` : ""}, expected ${expected.status}` +
            `${expected.status === "failed" ? ` (${expected.code})` : ""}; attempt ${task.attempt}`,
        );
      }
      const wanted = task.status === "succeeded" ? 1 : 0;
      if (count > wanted && repeatsExplainedByKills(task, effects.get(id) ?? [], worker.killedAt)) {
        repeatedByKill.push(id);
      } else if (count !== wanted)
        problems.push(
          `${id} (${planned.mode}/${planned.entry}): ${count} side effects, expected ${wanted} [${effects.get(id)?.join(", ") ?? ""}]`,
        );
    }
    for (const id of effects.keys()) if (!byId.has(id)) problems.push(`${id}: side effect of a task with no record`);

    const figures: RunFigures = {
      planned: plan.length,
      tasks,
      tracked,
      effects,
      repeatedByKill,
      counters: { ...counters, throttles: worker.throttles, kills: worker.kills, interrupted: worker.interrupted },
      enqueuedInMs: enqueuedIn,
      elapsedMs,
      settled,
      queueLeft,
      deadLetterLeft,
      problems,
      startedAt: started,
      recoveries: worker.killedBatches.map((batch) => batchRecovery(batch, byId)),
    };
    const summary = formatSummary(figures);
    console.log(summary);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, "fault-summary.txt"), `${summary}\n`);
    // The records behind each problem, histories included, for whoever has to explain it.
    writeFileSync(
      join(ARTIFACTS, "fault-worker-log.txt"),
      [`outage ${new Date(outage.from).toISOString()} .. ${new Date(outage.to).toISOString()}`]
        .concat(
          worker.logs.map(
            (log) =>
              `${new Date(log.at).toISOString()} ${log.level} ${log.taskId ?? "-"} ${log.message} ${log.error ?? ""}`,
          ),
        )
        .join("\n"),
    );
    const suspects = tasks.filter((task) => problems.some((problem) => problem.startsWith(task.id)));
    writeFileSync(join(ARTIFACTS, "fault-problems.json"), JSON.stringify(suspects, null, 2));
    // The records of the slow tasks the kills cut short (whose recovery the summary times), and of the successes a
    // kill made run twice.
    const killed = worker.killedBatches.flatMap((batch) => [...batch.attempts.keys()].map((id) => byId.get(id)));
    const repeated = repeatedByKill.map((id) => ({ ...byId.get(id), effects: effects.get(id) }));
    writeFileSync(
      join(ARTIFACTS, "fault-killed.json"),
      JSON.stringify({ killedAt: worker.killedAt, killed, repeated }, null, 2),
    );

    // Assert
    expect(tracked.size).toBeGreaterThanOrEqual(plan.length);
    expect(tasks.filter((task) => !isTerminal(task.status)).map((task) => `${task.id}: ${task.status}`)).toEqual([]);
    expect(problems).toEqual([]);
    // A kill can only cut the attempts it finds in flight: a handful, never a share of the run.
    expect(repeatedByKill.length).toBeLessThanOrEqual(worker.kills * 5);
    expect({ queueLeft, deadLetterLeft }).toEqual({ queueLeft: 0, deadLetterLeft: 0 });
    expect(settled).toBe(true);
    expect(worker.kills).toBe(KILLS_AT.length);
    expect(counters.outages).toBe(1);
  });

  it("recovers a SIGKILLed worker's batch: every task it held runs again in a new attempt", async () => {
    // A quiet queue and no injected throttling: what is timed is the death of a worker, nothing else.
    await worker.stop();
    worker.setEnv({ FAULT_THROTTLE_RATE: "0" });
    await worker.start();
    const ids: string[] = [];
    for (let i = 0; i < BATCH_SIZE; i++) {
      const { task } = await enqueue({ type: "fault-batch", input: { holdMs: BATCH_HOLD_MS } }, stack.deps, {
        tenant: TEST_TENANT,
      });
      ids.push(task.id);
    }
    await eventually(async () => ids.every((id) => worker.slowRunning.has(id)), {
      what: "the whole batch to be running in the worker",
      timeoutMs: 20_000,
    });

    // Act: kill -9 while it holds the batch; a new process comes up as a new Lambda instance would.
    await worker.kill();
    const batch = worker.killedBatches.at(-1)!;
    // The leases the dead attempts hold, as their last heartbeats left them.
    const leaseEnds = await Promise.all(ids.map(async (id) => (await stack.deps.store.get(id, new Date()))?.leaseExpiresAt));
    await pause(500);
    await worker.start();
    const recovery = await eventually(
      async () => {
        const tasks = await Promise.all(ids.map((id) => stack.deps.store.get(id, new Date())));
        const found = batchRecovery(batch, new Map(tasks.flatMap((task) => (task ? [[task.id, task]] : []))));
        return slowestRecoveryMs(found) === undefined ? undefined : found;
      },
      { what: "every task of the killed batch to run again", timeoutMs: 120_000, intervalMs: 250 },
    );
    const finished = await eventually(
      async () => {
        const tasks = await Promise.all(ids.map((id) => stack.deps.store.get(id, new Date())));
        return tasks.every((task) => task && isTerminal(task.status)) ? (tasks as Task[]) : undefined;
      },
      { what: "the batch to finish", timeoutMs: 60_000, intervalMs: 250 },
    );
    const effects = await effectsPerTask(stack);

    const slowest = slowestRecoveryMs(recovery)!;
    const heartbeat = stack.config.heartbeatSeconds;
    const bound = recoveryBoundSeconds({ heartbeatSeconds: heartbeat, sweepIntervalSeconds: SWEEP_INTERVAL_SECONDS });
    const awsBound = recoveryBoundSeconds({
      heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
      sweepIntervalSeconds: AWS_SWEEP_INTERVAL_SECONDS,
    });
    const formula = (h: number, sweep: number) =>
      `(2 × ${h} + 5) + ${sweep} + ${MESSAGE_WAIT_SECONDS} = ${recoveryBoundSeconds({ heartbeatSeconds: h, sweepIntervalSeconds: sweep })} s`;
    const summary = [
      "",
      "=== Recovery of a killed worker's batch ===",
      `${batch.attempts.size} fault-batch tasks (time limit 60 s, first attempt holding ${BATCH_HOLD_MS / 1000} s) held by ` +
        "the worker process at its SIGKILL; a new process 0.5 s later; no other load, no injected throttling",
      `measured: ${describeRecovery(recovery)}`,
      "bound = lease (2 × heartbeatSeconds + 5 s) + sweep interval + message wait:",
      `  this run (test stage: heartbeat ${heartbeat} s, lease ${leaseMs(heartbeat) / 1000} s, sweep every ` +
        `${SWEEP_INTERVAL_SECONDS} s): ${formula(heartbeat, SWEEP_INTERVAL_SECONDS)}` +
        ` -> ${slowest <= bound * 1000 ? "met" : "MISSED"}`,
      `  on AWS (defaults: heartbeat ${DEFAULT_HEARTBEAT_SECONDS} s, lease ${leaseMs(DEFAULT_HEARTBEAT_SECONDS) / 1000} s, ` +
        `sweep every ${AWS_SWEEP_INTERVAL_SECONDS} s): ${formula(DEFAULT_HEARTBEAT_SECONDS, AWS_SWEEP_INTERVAL_SECONDS)}`,
      "",
    ].join("\n");
    console.log(summary);
    mkdirSync(ARTIFACTS, { recursive: true });
    appendFileSync(join(ARTIFACTS, "fault-summary.txt"), `${summary}\n`);

    // Assert
    expect(batch.attempts.size).toBe(BATCH_SIZE);
    expect(finished.map((task) => [task.id, task.status, task.attempt])).toEqual(ids.map((id) => [id, "succeeded", 2]));
    expect(ids.map((id) => effects.get(id)?.length ?? 0)).toEqual(ids.map(() => 1));
    // Not before the dead attempt's lease ended (the new attempt never ran alongside it), and within the bound.
    const claimedAt = ids.map((id) => batch.at + recovery.times.get(id)!);
    expect(claimedAt.map((at, i) => at >= (leaseEnds[i] ?? Number.POSITIVE_INFINITY))).toEqual(ids.map(() => true));
    expect(slowest).toBeLessThanOrEqual(bound * 1000);
    expect(awsBound).toBeLessThanOrEqual(90);
  });
});