/**
 * The SDK clients. The endpoint comes from the SDK's own `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_<SERVICE>`), so the
 * same code talks to AWS, LocalStack and the embedded emulator.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export interface AwsClients {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  /** Watch-token key (one GetSecretValue per cold start, by the functions that mint or check watch tokens). */
  readonly secrets: SecretsManagerClient;
}

export interface AwsClientOptions {
  readonly region?: string;
  /** An explicit endpoint (tests); otherwise the SDK reads AWS_ENDPOINT_URL itself. */
  readonly endpoint?: string;
  /** Path-style S3 URLs: needed by emulators on 127.0.0.1/localhost, where `bucket.localhost` does not resolve. */
  readonly forcePathStyle?: boolean;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  const common = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  return {
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(common), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    }),
    sqs: new SQSClient(common),
    secrets: new SecretsManagerClient(common),
    s3: new S3Client({
      ...common,
      forcePathStyle: options.forcePathStyle ?? false,
      // Otherwise (SDK >= 3.729) a presigned PutObject signs the CRC32 of an empty body (x-amz-checksum-crc32=AAAAAA==)
      // and real S3 rejects every upload through it. The emulator checks no checksum, so only a test on the URL sees it.
      requestChecksumCalculation: "WHEN_REQUIRED",
    }),
  };
}

/** Options from the environment: path-style S3 whenever a custom endpoint is set (emulator or LocalStack). */
export function awsClientOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): AwsClientOptions {
  return { forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL) };
}
