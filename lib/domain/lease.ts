/**
 * How long a running attempt holds its task, and how soon a task whose worker died runs again. Pure.
 *
 * A lease lasts two heartbeats and a margin, and every heartbeat extends it: one heartbeat may fail (a throttle, a
 * slow write) without the task being taken over, and a dead worker's task is free a lease's length after its last
 * heartbeat. The attempt's own deadline still bounds it: a lease never outlives the deadline by more than the grace
 * it takes to record the outcome.
 */

/** How often a running attempt beats by default (`heartbeatSeconds`): the recovery bound below is then 90 s. */
export const DEFAULT_HEARTBEAT_SECONDS = 10;

/** What a lease adds to two heartbeat intervals. */
export const LEASE_MARGIN_MS = 5_000;

/** How long a lease outlives its attempt's deadline: time to record the outcome of an attempt stopped at it. */
export const LEASE_GRACE_MS = 5_000;

/**
 * What the recovery bound allows for the sweeper's own run and for a worker to receive the re-sent message and claim
 * the task, when workers have room for it (SQS pollers long-poll: a message is typically received within a second).
 */
export const MESSAGE_WAIT_SECONDS = 5;

/** A lease's length: two heartbeats and a margin. */
export function leaseMs(heartbeatSeconds: number): number {
  return 2 * heartbeatSeconds * 1000 + LEASE_MARGIN_MS;
}

/** When a lease taken or extended at `now` (epoch ms) ends: a lease's length later, never past `deadline` + grace. */
export function leaseExpiry(now: number, deadline: number, lengthMs: number): number {
  return Math.min(now + lengthMs, deadline + LEASE_GRACE_MS);
}

export interface RecoveryParams {
  readonly heartbeatSeconds: number;
  /** How often the sweeper runs (60 s on AWS: its `rate(1 minute)` schedule). */
  readonly sweepIntervalSeconds: number;
  /** Default MESSAGE_WAIT_SECONDS. */
  readonly messageWaitSeconds?: number;
}

/**
 * The longest a live task waits for a new attempt after its worker died, or after it was written without a message,
 * when workers have room: its lease runs out (at most a lease after the last heartbeat or the write), the sweeper's
 * next run re-sends its message, and a worker receives it and claims the task.
 *
 *   bound = (2 × heartbeatSeconds + 5 s) + sweep interval + message wait
 *
 * With the defaults (heartbeat 10 s, sweep every 60 s, wait 5 s): 25 + 60 + 5 = 90 s.
 */
export function recoveryBoundSeconds(params: RecoveryParams): number {
  return (
    leaseMs(params.heartbeatSeconds) / 1000 +
    params.sweepIntervalSeconds +
    (params.messageWaitSeconds ?? MESSAGE_WAIT_SECONDS)
  );
}
