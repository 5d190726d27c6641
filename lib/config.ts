/** Configuration, read from the environment once per cold start into a frozen object. */

export interface Config {
  readonly tasksTable: string;
  readonly taskQueueName: string;
  readonly deadLetterQueueName: string;
  readonly resultsBucket: string;
  /** The demo `orders` export dataset's table. */
  readonly ordersTable: string;
  /** Days a task record is kept when its type says nothing else. */
  readonly taskRetentionDays: number;
  /** The worker function's timeout: no attempt may outlive it. */
  readonly workerTimeoutSeconds: number;
  /** Largest request body the HTTP API accepts. */
  readonly maxRequestBytes: number;
  /** How often a running attempt proves it is alive (and learns it was cancelled). */
  readonly heartbeatSeconds: number;
  /** How long a live task may go unseen by a worker before the sweeper re-sends its message. */
  readonly strandedAfterSeconds: number;
  /** Enqueue answers 429 once the queue holds this many messages; 0 = no limit. */
  readonly maxQueueDepth: number;
  /** How long an Idempotency-Key keeps returning the task it created. */
  readonly idempotencyWindowSeconds: number;
}

export class ConfigError extends Error {}

/** Reads and checks the configuration; throws naming the first missing or malformed variable. */
export function readConfig(env: Readonly<Record<string, string | undefined>>): Config {
  return Object.freeze({
    tasksTable: required(env, "TASKS_TABLE"),
    taskQueueName: required(env, "TASK_QUEUE_NAME"),
    deadLetterQueueName: required(env, "DEAD_LETTER_QUEUE_NAME"),
    resultsBucket: required(env, "RESULTS_BUCKET"),
    ordersTable: required(env, "ORDERS_TABLE"),
    taskRetentionDays: positiveNumber(env, "TASK_RETENTION_DAYS", 30),
    workerTimeoutSeconds: positiveNumber(env, "WORKER_TIMEOUT_SECONDS", 300),
    maxRequestBytes: positiveNumber(env, "MAX_REQUEST_BYTES", 64 * 1024),
    heartbeatSeconds: positiveNumber(env, "HEARTBEAT_SECONDS", 30),
    strandedAfterSeconds: positiveNumber(env, "STRANDED_AFTER_SECONDS", 300),
    maxQueueDepth: nonNegativeNumber(env, "MAX_QUEUE_DEPTH", 0),
    idempotencyWindowSeconds: positiveNumber(env, "IDEMPOTENCY_WINDOW_SECONDS", 24 * 3600),
  });
}

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`Missing environment variable ${name}.`);
  if (value === "[object Object]") {
    throw new ConfigError(`Environment variable ${name} is "[object Object]": give the stage a literal value.`);
  }
  return value;
}

function positiveNumber(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`Environment variable ${name} must be a positive number, got ${JSON.stringify(raw)}.`);
  }
  return value;
}

function nonNegativeNumber(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  return env[name] === "0" ? 0 : positiveNumber(env, name, fallback);
}
