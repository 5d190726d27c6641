/** What the use cases are given. Built once per cold start by lib/container.ts, and by the tests against the emulator. */
import type { Config } from "../config.ts";
import type { ApiKeyStore, Clock, IdempotencyStore, TaskQueue, TaskStore } from "../ports.ts";
import type { TaskQueries } from "../task-queries.ts";
import type { TaskServices } from "../task-types/task-type.ts";
import type { TaskTypeRegistry } from "../task-types/registry.ts";
import type { Logger } from "../logger.ts";
import type { WatchTokens } from "./watch-tokens.ts";

export interface Dependencies {
  readonly config: Config;
  readonly store: TaskStore;
  /** Listing through the per-tenant indexes. */
  readonly queries: TaskQueries;
  readonly queue: TaskQueue;
  readonly idempotency: IdempotencyStore;
  readonly keys: ApiKeyStore;
  /** Mints and checks watch tokens (read access to one task, for browsers). */
  readonly watchTokens: WatchTokens;
  readonly taskTypes: TaskTypeRegistry;
  readonly services: TaskServices;
  readonly clock: Clock;
  readonly logger: Logger;
}
