import { describe, expect, it } from "vitest";
import { ALL_STATUSES, canTransition, isTerminal, statusesAllowedBefore, TaskStatus } from "../../lib/domain/status.ts";

describe("task status transitions", () => {
  it("lets a worker claim queued and retrying tasks, and take over a running one whose lease expired", () => {
    expect(statusesAllowedBefore(TaskStatus.Running).sort()).toEqual(["queued", "retrying", "running"]);
  });

  it("ends only from running (or by abandoning a task no attempt holds)", () => {
    expect(statusesAllowedBefore(TaskStatus.Succeeded)).toEqual(["running"]);
    expect(statusesAllowedBefore(TaskStatus.Failed).sort()).toEqual(["queued", "retrying", "running"]);
  });

  it("never leaves a terminal status", () => {
    for (const from of [TaskStatus.Succeeded, TaskStatus.Failed]) {
      expect(isTerminal(from)).toBe(true);
      for (const to of ALL_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it("does not treat live statuses as terminal", () => {
    expect([TaskStatus.Queued, TaskStatus.Running, TaskStatus.Retrying].map(isTerminal)).toEqual([false, false, false]);
  });

  it("goes back to queued only from running, when an attempt hands its work over to a new delivery", () => {
    expect(statusesAllowedBefore(TaskStatus.Queued)).toEqual(["running"]);
  });
});
