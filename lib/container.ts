/** Builds the real dependencies: once per cold start in Lambda, once per test suite against the emulator. */
import { type AwsClients, awsClientOptionsFromEnv, createAwsClients } from "./adapters/aws-clients.ts";
import { DynamoApiKeyStore } from "./adapters/dynamo-api-key-store.ts";
import { DynamoDatasetReader } from "./adapters/dynamo-dataset-reader.ts";
import { DynamoIdempotencyStore } from "./adapters/dynamo-idempotency-store.ts";
import { DynamoTaskQueries } from "./adapters/dynamo-task-queries.ts";
import { DynamoTaskStore } from "./adapters/dynamo-task-store.ts";
import { S3BlobStore } from "./adapters/s3-blob-store.ts";
import { SqsTaskQueue } from "./adapters/sqs-task-queue.ts";
import { watchTokensFor } from "./authorizer-container.ts";
import { type Config, readConfig } from "./config.ts";
import { lifecycleTiming } from "./domain/lifecycle.ts";
import { createLogger, type Logger } from "./logger.ts";
import { type Clock, systemClock } from "./ports.ts";
import { datasetTables } from "./task-types/export/datasets.ts";
import { builtInTaskTypes, TaskTypeRegistry } from "./task-types/registry.ts";
import type { Dependencies } from "./use-cases/dependencies.ts";

export function buildDependencies(
  config: Config,
  clients: AwsClients,
  options: { logger?: Logger; clock?: Clock; taskTypes?: TaskTypeRegistry } = {},
): Dependencies {
  const clock = options.clock ?? systemClock;
  return {
    config,
    store: new DynamoTaskStore({
      client: clients.dynamo,
      tableName: config.tasksTable,
      timing: lifecycleTiming(config),
    }),
    queries: new DynamoTaskQueries({ client: clients.dynamo, tableName: config.tasksTable }),
    idempotency: new DynamoIdempotencyStore({ client: clients.dynamo, tableName: config.tasksTable }),
    keys: new DynamoApiKeyStore({ client: clients.dynamo, tableName: config.apiKeysTable }),
    watchTokens: watchTokensFor(config, clients, clock),
    queue: new SqsTaskQueue({
      client: clients.sqs,
      queueName: config.taskQueueName,
      deadLetterQueueName: config.deadLetterQueueName,
    }),
    taskTypes: options.taskTypes ?? new TaskTypeRegistry(builtInTaskTypes()),
    services: {
      blobs: new S3BlobStore({ client: clients.s3, bucket: config.resultsBucket }),
      datasets: new DynamoDatasetReader({ client: clients.dynamo, tables: datasetTables(config) }),
    },
    clock,
    logger: options.logger ?? createLogger(),
  };
}

let cached: Dependencies | undefined;

/** The process-wide dependencies, from `process.env`, built on first use. */
export function dependenciesFromEnv(): Dependencies {
  cached ??= buildDependencies(readConfig(process.env), createAwsClients(awsClientOptionsFromEnv(process.env)));
  return cached;
}
