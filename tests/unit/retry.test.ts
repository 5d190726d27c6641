import { describe, expect, it } from "vitest";
import { backoffSeconds, hasAttemptsLeft, SQS_MAX_VISIBILITY_SECONDS, type RetryPolicy } from "../../lib/domain/retry.ts";

const policy: RetryPolicy = { maxAttempts: 4, baseDelaySeconds: 5, factor: 3, maxDelaySeconds: 100, jitter: 0.5 };

describe("backoff", () => {
  it("grows by the factor from the base delay", () => {
    const noJitter = { ...policy, jitter: 0 };
    expect([1, 2, 3].map((attempt) => backoffSeconds(noJitter, attempt))).toEqual([5, 15, 45]);
  });

  it("is capped by the policy and by SQS's visibility ceiling", () => {
    expect(backoffSeconds({ ...policy, jitter: 0 }, 10)).toBe(100);
    expect(backoffSeconds({ ...policy, jitter: 0, maxDelaySeconds: 10 ** 9 }, 30)).toBe(SQS_MAX_VISIBILITY_SECONDS);
  });

  it("takes up to `jitter` of the delay off, never adds", () => {
    expect(backoffSeconds(policy, 2, () => 0)).toBe(15);
    expect(backoffSeconds(policy, 2, () => 1)).toBe(8); // 15 × (1 − 0.5), rounded
  });

  it("counts attempts including the first", () => {
    expect([1, 2, 3, 4].map((attempt) => hasAttemptsLeft(policy, attempt))).toEqual([true, true, true, false]);
  });
});
