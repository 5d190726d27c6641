/** Configuration, read from the environment once per cold start into a frozen object. */
import { DEFAULT_HEARTBEAT_SECONDS } from "./domain/lease.ts";

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
  /**
   * How often a running attempt proves it is alive (and learns it was cancelled). Its lease lasts two heartbeats and
   * 5 s, so a dead worker's task runs again within about 2 × this + 5 s + the sweep interval (lib/domain/lease.ts).
   */
  readonly heartbeatSeconds: number;
  /** After the sweeper re-sent a live task's message, how long before it looks at the task again. */
  readonly strandedAfterSeconds: number;
  /** Enqueue answers 429 once the queue holds this many messages; 0 = no limit. */
  readonly maxQueueDepth: number;
  /** How long an Idempotency-Key keeps returning the task it created. */
  readonly idempotencyWindowSeconds: number;
  readonly apiKeysTable: string;
  /** The Secrets Manager secret (name or ARN) that signs watch tokens. */
  readonly watchTokenSecretName: string;
  /**
   * The watch-token key itself, when the stack has no Secrets Manager (the embedded emulator: `npm start` and the
   * tests generate one per run). Takes precedence over `watchTokenSecretName`.
   */
  readonly watchTokenSecret?: string | undefined;
  /** How long a watch token stays valid. */
  readonly watchTokenTtlSeconds: number;
  /** Live tasks one tenant may have; 0 = no cap. */
  readonly maxLiveTasksPerTenant: number;
  /** Export dataset id → the tenants allowed to export it (`*` = all). */
  readonly exportDatasetTenants: Readonly<Record<string, readonly string[]>>;
  /**
   * `npm start` only (OFFLOAD_LOCAL_GATEWAY=true): requests reach the functions through the local gateway
   * (infra/local-gateway.ts), which carries each body past serverless-offline untouched and says in
   * `x-offload-local-content-type` what content type it really had. Never set on AWS, where that header is an ordinary
   * client header and changes nothing.
   */
  readonly localGateway: boolean;
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
    heartbeatSeconds: positiveNumber(env, "HEARTBEAT_SECONDS", DEFAULT_HEARTBEAT_SECONDS),
    strandedAfterSeconds: positiveNumber(env, "STRANDED_AFTER_SECONDS", 300),
    maxQueueDepth: nonNegativeNumber(env, "MAX_QUEUE_DEPTH", 0),
    idempotencyWindowSeconds: positiveNumber(env, "IDEMPOTENCY_WINDOW_SECONDS", 24 * 3600),
    apiKeysTable: required(env, "API_KEYS_TABLE"),
    watchTokenSecretName: required(env, "WATCH_TOKEN_SECRET_NAME"),
    ...(env.WATCH_TOKEN_SECRET ? { watchTokenSecret: env.WATCH_TOKEN_SECRET } : {}),
    watchTokenTtlSeconds: positiveNumber(env, "WATCH_TOKEN_TTL_SECONDS", 900),
    maxLiveTasksPerTenant: nonNegativeNumber(env, "MAX_LIVE_TASKS_PER_TENANT", 0),
    exportDatasetTenants: datasetTenants(env, "EXPORT_DATASET_TENANTS"),
    localGateway: flag(env, "OFFLOAD_LOCAL_GATEWAY"),
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

function flag(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "" || raw === "false") return false;
  if (raw === "true") return true;
  throw new ConfigError(`Environment variable ${name} must be true or false, got ${JSON.stringify(raw)}.`);
}

function nonNegativeNumber(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  return env[name] === "0" ? 0 : positiveNumber(env, name, fallback);
}

/** `orders=dev|acme;invoices=*` → { orders: ["dev", "acme"], invoices: ["*"] }. Empty: no tenant may export. */
function datasetTenants(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): Readonly<Record<string, readonly string[]>> {
  const raw = (env[name] ?? "").trim();
  const result: Record<string, readonly string[]> = {};
  if (!raw) return Object.freeze(result);
  for (const entry of raw.split(";")) {
    const [dataset, tenants, ...rest] = entry.split("=").map((part) => part.trim());
    const list = (tenants ?? "").split("|").map((tenant) => tenant.trim()).filter(Boolean);
    if (!dataset || rest.length > 0 || list.length === 0) {
      throw new ConfigError(
        `Environment variable ${name} must read "dataset=tenant|tenant;dataset=*", got ${JSON.stringify(raw)}.`,
      );
    }
    result[dataset] = Object.freeze(list);
  }
  return Object.freeze(result);
}
