import { describe, expect, it } from "vitest";
import {
  DEFAULT_HEARTBEAT_SECONDS,
  LEASE_GRACE_MS,
  leaseExpiry,
  leaseMs,
  recoveryBoundSeconds,
} from "../../lib/domain/lease.ts";
import {
  claimChange,
  continueChange,
  DEFAULT_TIMING,
  failChange,
  heartbeatChange,
  initialSweepAt,
  lifecycleTiming,
  resentChange,
} from "../../lib/domain/lifecycle.ts";
import { createTask, type Task } from "../../lib/domain/task.ts";

const now = new Date("2026-01-01T00:00:00.000Z");
const at = (seconds: number) => now.getTime() + seconds * 1000;
const timing = lifecycleTiming({ heartbeatSeconds: 10, strandedAfterSeconds: 300 });

function queuedTask(): Task {
  return createTask({
    id: "01JAAAAAAAAAAAAAAAAAAAAAAA",
    tenant: "t",
    type: "echo",
    input: {},
    maxAttempts: 3,
    retentionDays: 1,
    now,
  });
}

describe("leases", () => {
  it("last two heartbeats and 5 s", () => {
    expect(leaseMs(10)).toBe(25_000);
    expect(leaseMs(1)).toBe(7_000);
    expect(DEFAULT_TIMING.leaseMs).toBe(leaseMs(DEFAULT_HEARTBEAT_SECONDS));
  });

  it("never outlive the attempt's deadline by more than the grace", () => {
    expect(leaseExpiry(at(0), at(300), leaseMs(10))).toBe(at(25));
    expect(leaseExpiry(at(0), at(3), leaseMs(10))).toBe(at(3) + LEASE_GRACE_MS);
  });

  it("bound recovery by lease + sweep interval + message wait: 90 s with the defaults on AWS", () => {
    expect(recoveryBoundSeconds({ heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS, sweepIntervalSeconds: 60 })).toBe(90);
    expect(recoveryBoundSeconds({ heartbeatSeconds: 1, sweepIntervalSeconds: 1 })).toBe(13);
    expect(recoveryBoundSeconds({ heartbeatSeconds: 30, sweepIntervalSeconds: 60, messageWaitSeconds: 0 })).toBe(125);
  });
});

describe("when the sweeper looks at a task (sweepAt)", () => {
  it("a running task: the moment its lease ends, at the claim and at every heartbeat", () => {
    const lease = { token: "a", expiresAt: at(25) };
    expect(claimChange(queuedTask(), lease, now, timing).set.sweepAt).toBe(at(25));
    expect(heartbeatChange({ token: "a", expiresAt: at(35) }, new Date(at(10))).set).toMatchObject({
      leaseExpiresAt: at(35),
      sweepAt: at(35),
    });
  });

  it("a new task, written with or without its message: a lease after it should have started", () => {
    expect(initialSweepAt(queuedTask(), timing)).toBe(at(25));
    expect(initialSweepAt({ createdAt: now.toISOString(), runAt: new Date(at(60)).toISOString() }, timing)).toBe(at(85));
  });

  it("a retry: a lease after its retry time; a checkpointed hand-over: a lease after it", () => {
    const running = { ...queuedTask(), status: "running" as const, attempt: 1 };
    const error = { code: "x", message: "x", retryable: true };
    expect(failChange(running, error, now, timing, new Date(at(5))).set.sweepAt).toBe(at(30));
    expect(continueChange(running, now, timing).set.sweepAt).toBe(at(25));
  });

  it("after a re-send: strandedAfterSeconds later, since the task may simply be waiting in a backlog", () => {
    expect(resentChange(queuedTask(), now, timing, "re-sent").set.sweepAt).toBe(at(300));
  });
});
