/**
 * The authorizer's dependencies, built once per cold start: the key store, the watch-token key and a logger. Kept
 * apart from lib/container.ts so that the authorizer's bundle carries no task type.
 */
import { type AwsClients, awsClientOptionsFromEnv, createAwsClients } from "./adapters/aws-clients.ts";
import { DynamoApiKeyStore } from "./adapters/dynamo-api-key-store.ts";
import { watchTokenSecret } from "./adapters/watch-token-secret.ts";
import { type Config, readConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { type Clock, systemClock } from "./ports.ts";
import type { AuthorizeDependencies } from "./use-cases/authorize.ts";
import { WatchTokens } from "./use-cases/watch-tokens.ts";

let cached: AuthorizeDependencies | undefined;

export function authorizerDependenciesFromEnv(): AuthorizeDependencies {
  if (cached) return cached;
  const config = readConfig(process.env);
  const clients = createAwsClients(awsClientOptionsFromEnv(process.env));
  cached = {
    keys: new DynamoApiKeyStore({ client: clients.dynamo, tableName: config.apiKeysTable }),
    watchTokens: watchTokensFor(config, clients, systemClock),
    clock: systemClock,
    logger: createLogger(),
  };
  return cached;
}

/** Watch tokens signed with the configured literal key (local stacks) or the stack's secret. */
export function watchTokensFor(config: Config, clients: AwsClients, clock: Clock): WatchTokens {
  return new WatchTokens({
    secret: watchTokenSecret({
      literal: config.watchTokenSecret,
      client: clients.secrets,
      secretId: config.watchTokenSecretName,
    }),
    ttlSeconds: config.watchTokenTtlSeconds,
    clock,
  });
}
