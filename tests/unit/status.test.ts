import { describe, expect, it } from "vitest";
import {
  ALL_STATUSES,
  CANCELLABLE,
  canTransition,
  isTerminal,
  statusesAllowedBefore,
  TaskStatus,
} from "../../lib/domain/status.ts";

describe("task status transitions", () => {
  it("lets a worker claim queued, retrying and due scheduled tasks, and take over a running one whose lease expired", () => {
    expect(statusesAllowedBefore(TaskStatus.Running).sort()).toEqual(["queued", "retrying", "running", "scheduled"]);
  });

  it("succeeds only from running", () => {
    expect(statusesAllowedBefore(TaskStatus.Succeeded)).toEqual(["running"]);
  });

  it("fails from running, or by abandoning a task no attempt holds", () => {
    expect(statusesAllowedBefore(TaskStatus.Failed).sort()).toEqual(["queued", "retrying", "running", "scheduled"]);
  });

  it("never leaves succeeded or cancelled", () => {
    for (const from of [TaskStatus.Succeeded, TaskStatus.Cancelled]) {
      for (const to of ALL_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it("leaves failed only by a redrive, back to queued", () => {
    expect(ALL_STATUSES.filter((to) => canTransition(TaskStatus.Failed, to))).toEqual(["queued"]);
  });

  it("goes back to queued from running (a hand-over to a new delivery) or failed (a redrive)", () => {
    expect(statusesAllowedBefore(TaskStatus.Queued).sort()).toEqual(["failed", "running"]);
  });

  it("calls succeeded, failed and cancelled terminal, and nothing else", () => {
    expect(ALL_STATUSES.filter(isTerminal).sort()).toEqual(["cancelled", "failed", "succeeded"]);
  });

  it("can cancel any live task", () => {
    expect([...CANCELLABLE].sort()).toEqual(["queued", "retrying", "running", "scheduled"]);
  });
});
