/**
 * The key that signs watch tokens: the configured literal (local stacks), else the stack's Secrets Manager secret,
 * read once per cold start. A failed read is not cached, so the next request tries again.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export function watchTokenSecret(options: {
  literal?: string | undefined;
  client: SecretsManagerClient;
  secretId: string;
}): () => Promise<string> {
  if (options.literal) {
    const literal = options.literal;
    return () => Promise.resolve(literal);
  }
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= options.client.send(new GetSecretValueCommand({ SecretId: options.secretId })).then(({ SecretString }) => {
      if (!SecretString) throw new Error(`Secret ${options.secretId} has no string value.`);
      return SecretString;
    });
    pending.catch(() => {
      pending = undefined;
    });
    return pending;
  };
}
