/** Retry policy: exponential backoff with a cap and full jitter. Pure; the random source is a parameter. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly baseDelaySeconds: number;
  readonly factor: number;
  readonly maxDelaySeconds: number;
  /** 0 = no jitter; 1 = "full jitter" (a delay anywhere between 0 and the computed one). */
  readonly jitter: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  baseDelaySeconds: 5,
  factor: 4,
  maxDelaySeconds: 15 * 60,
  jitter: 0.2,
});

/** SQS's ceiling for a message's visibility timeout, and so for one redelivery delay. */
export const SQS_MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

/**
 * Seconds to wait before the attempt after `attempt` (1-based: the attempt that just failed).
 * base × factor^(attempt-1), capped, then reduced by up to `jitter` of itself.
 */
export function backoffSeconds(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const raw = policy.baseDelaySeconds * policy.factor ** Math.max(0, attempt - 1);
  const capped = Math.min(raw, policy.maxDelaySeconds, SQS_MAX_VISIBILITY_SECONDS);
  const jittered = capped * (1 - policy.jitter * random());
  return Math.max(0, Math.round(jittered));
}

export function hasAttemptsLeft(policy: RetryPolicy, attempt: number): boolean {
  return attempt < policy.maxAttempts;
}
