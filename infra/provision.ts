/**
 * Creates the stack's resources in an emulator (the embedded one or LocalStack) from the same definitions that
 * `serverless deploy` sends to CloudFormation: the `resources` section of `serverless print`'s output.
 *
 * Handles the resource types and intrinsic functions Offload uses (Ref, Fn::GetAtt Arn, Fn::Sub, Fn::Join). Settings an
 * emulator lacks (DynamoDB TTL on dynalite, bucket lifecycle on fauxqs) are reported as skipped, not faked.
 */
import { CreateTableCommand, DynamoDBClient, ResourceInUseException, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import {
  CreateBucketCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { randomBytes } from "node:crypto";
import type { ServerlessConfig } from "./serverless-config.ts";

export interface ProvisionTarget {
  readonly endpoint: string;
  readonly region: string;
  /** The account id the emulator uses in ARNs (both fauxqs and LocalStack use 000000000000). */
  readonly accountId?: string;
  /**
   * Values, by secret name, for secrets CloudFormation would generate: a caller that hands them to processes it starts
   * before provisioning ends picks them itself. The others are generated.
   */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface ProvisionedStack {
  /** The functions' environment with every CloudFormation function resolved. */
  readonly environment: Record<string, string>;
  /** Physical name (and URL/ARN where there is one) per logical resource id. */
  readonly resources: Record<string, { type: string; name: string; url?: string; arn?: string }>;
  /** Settings the emulator refused, for the log. */
  readonly skipped: string[];
  /**
   * Secret values by secret name. The embedded emulator has no Secrets Manager: a secret that CloudFormation would
   * generate (`GenerateSecretString`) is generated here, for this run only, and handed to the functions by the caller.
   */
  readonly secrets: Record<string, string>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type CfnResource = { Type: string; Properties?: Record<string, Json> };

const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export async function provisionStack(config: ServerlessConfig, target: ProvisionTarget): Promise<ProvisionedStack> {
  const accountId = target.accountId ?? "000000000000";
  const common = { region: target.region, endpoint: target.endpoint, credentials: CREDENTIALS };
  const dynamo = new DynamoDBClient(common);
  const sqs = new SQSClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  const definitions = (config.resources?.Resources ?? {}) as Record<string, CfnResource>;
  const created: ProvisionedStack["resources"] = {};
  const inProgress = new Map<string, Promise<void>>();
  const skipped: string[] = [];
  const secrets: Record<string, string> = {};

  const pseudo: Record<string, string> = {
    "AWS::AccountId": accountId,
    "AWS::Region": target.region,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": `${config.service}-${config.provider.stage}`,
  };

  async function ensure(logicalId: string): Promise<void> {
    if (!definitions[logicalId]) throw new Error(`Template refers to unknown resource ${logicalId}.`);
    let job = inProgress.get(logicalId);
    if (!job) {
      job = create(logicalId, definitions[logicalId]);
      inProgress.set(logicalId, job);
    }
    await job;
  }

  async function resolve(value: Json): Promise<Json> {
    if (Array.isArray(value)) return Promise.all(value.map(resolve));
    if (value === null || typeof value !== "object") return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = value[fn] as Json;
      if (fn === "Ref") {
        const name = String(arg);
        if (pseudo[name]) return pseudo[name];
        await ensure(name);
        const resource = created[name]!;
        if (resource.type === "AWS::SQS::Queue") return resource.url!;
        return resource.type === "AWS::SecretsManager::Secret" ? resource.arn! : resource.name;
      }
      if (fn === "Fn::GetAtt") {
        const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split(".")) as [string, string];
        await ensure(id);
        if (attribute === "Arn") return created[id]!.arn!;
        if (attribute === "QueueName") return created[id]!.name;
        if (attribute === "QueueUrl") return created[id]!.url!;
        throw new Error(`Fn::GetAtt ${id}.${attribute} is not supported locally.`);
      }
      if (fn === "Fn::Sub") {
        const template = String(Array.isArray(arg) ? arg[0] : arg);
        const parts = await Promise.all(
          [...template.matchAll(/\$\{([^}]+)\}/g)].map(async (match) => {
            const ref = match[1]!;
            const resolved = ref.includes(".")
              ? await resolve({ "Fn::GetAtt": ref.split(".") as Json })
              : await resolve({ Ref: ref });
            return [match[0], String(resolved)] as const;
          }),
        );
        return parts.reduce((text, [placeholder, resolved]) => text.replace(placeholder, resolved), template);
      }
      if (fn === "Fn::Join") {
        const [separator, items] = arg as [string, Json[]];
        const resolved = (await resolve(items)) as Json[];
        return resolved.map(String).join(separator);
      }
    }
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolve(v)] as const));
    return Object.fromEntries(entries);
  }

  async function create(logicalId: string, definition: CfnResource): Promise<void> {
    const props = (await resolve((definition.Properties ?? {}) as Json)) as Record<string, any>;
    switch (definition.Type) {
      case "AWS::DynamoDB::Table": {
        const name = props.TableName as string;
        try {
          await dynamo.send(
            new CreateTableCommand({
              TableName: name,
              BillingMode: props.BillingMode,
              AttributeDefinitions: props.AttributeDefinitions,
              KeySchema: props.KeySchema,
              GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
            }),
          );
        } catch (error) {
          if (!(error instanceof ResourceInUseException)) throw error;
        }
        if (props.TimeToLiveSpecification?.Enabled) {
          await dynamo
            .send(
              new UpdateTimeToLiveCommand({
                TableName: name,
                TimeToLiveSpecification: { AttributeName: props.TimeToLiveSpecification.AttributeName, Enabled: true },
              }),
            )
            .catch(() => skipped.push(`${logicalId}: TimeToLive (reads treat expired tasks as gone instead)`));
        }
        created[logicalId] = {
          type: definition.Type,
          name,
          arn: `arn:aws:dynamodb:${target.region}:${accountId}:table/${name}`,
        };
        return;
      }
      case "AWS::SQS::Queue": {
        const name = props.QueueName as string;
        const attributes: Record<string, string> = {};
        for (const [key, value] of Object.entries(props)) {
          if (key === "QueueName" || key === "Tags") continue;
          attributes[key] = typeof value === "object" ? JSON.stringify(value) : String(value);
        }
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
        );
        if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`The emulator returned no URL or ARN for queue ${name}.`);
        created[logicalId] = { type: definition.Type, name, url: QueueUrl, arn: Attributes.QueueArn };
        return;
      }
      case "AWS::S3::Bucket": {
        const name = props.BucketName as string;
        await s3.send(new CreateBucketCommand({ Bucket: name })).catch((error: { name?: string }) => {
          if (error.name !== "BucketAlreadyOwnedByYou" && error.name !== "BucketAlreadyExists") throw error;
        });
        const settings: [string, () => Promise<unknown>][] = [];
        if (props.LifecycleConfiguration) {
          settings.push([
            "LifecycleConfiguration",
            () =>
              s3.send(
                new PutBucketLifecycleConfigurationCommand({
                  Bucket: name,
                  LifecycleConfiguration: { Rules: props.LifecycleConfiguration.Rules.map(toS3LifecycleRule) },
                }),
              ),
          ]);
        }
        if (props.BucketEncryption) {
          settings.push([
            "BucketEncryption",
            () =>
              s3.send(
                new PutBucketEncryptionCommand({
                  Bucket: name,
                  ServerSideEncryptionConfiguration: { Rules: props.BucketEncryption.ServerSideEncryptionConfiguration },
                }),
              ),
          ]);
        }
        if (props.CorsConfiguration) {
          settings.push([
            "CorsConfiguration",
            () => s3.send(new PutBucketCorsCommand({ Bucket: name, CORSConfiguration: props.CorsConfiguration })),
          ]);
        }
        if (props.PublicAccessBlockConfiguration) {
          settings.push([
            "PublicAccessBlockConfiguration",
            () =>
              s3.send(
                new PutPublicAccessBlockCommand({
                  Bucket: name,
                  PublicAccessBlockConfiguration: props.PublicAccessBlockConfiguration,
                }),
              ),
          ]);
        }
        for (const [setting, apply] of settings) {
          await apply().catch(() => skipped.push(`${logicalId}: ${setting}`));
        }
        created[logicalId] = { type: definition.Type, name, arn: `arn:aws:s3:::${name}` };
        return;
      }
      case "AWS::IAM::Role": {
        // The emulator enforces no IAM: the roles exist for `serverless deploy` (tests/deploy checks them).
        const name = String(props.RoleName ?? logicalId);
        skipped.push(`${logicalId}: IAM role (the emulator checks no permissions)`);
        created[logicalId] = { type: definition.Type, name, arn: `arn:aws:iam::${accountId}:role/${name}` };
        return;
      }
      case "AWS::SecretsManager::Secret": {
        const name = props.Name as string;
        secrets[name] = target.secrets?.[name] ?? randomBytes(48).toString("base64url");
        created[logicalId] = {
          type: definition.Type,
          name,
          arn: `arn:aws:secretsmanager:${target.region}:${accountId}:secret:${name}`,
        };
        return;
      }
      default:
        throw new Error(`Resource ${logicalId} has type ${definition.Type}, which the local setup cannot create.`);
    }
  }

  try {
    for (const logicalId of Object.keys(definitions)) await ensure(logicalId);
    const environment = (await resolve((config.provider.environment ?? {}) as Json)) as Record<string, Json>;
    return {
      environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, String(v)])),
      resources: created,
      skipped,
      secrets,
    };
  } finally {
    dynamo.destroy();
    sqs.destroy();
    s3.destroy();
  }
}

/** CloudFormation's lifecycle rule shape → the S3 API's. */
function toS3LifecycleRule(rule: Record<string, any>) {
  return {
    ID: rule.Id,
    Status: rule.Status,
    Filter: { Prefix: rule.Prefix ?? "" },
    ...(rule.ExpirationInDays ? { Expiration: { Days: Number(rule.ExpirationInDays) } } : {}),
    ...(rule.AbortIncompleteMultipartUpload
      ? {
          AbortIncompleteMultipartUpload: {
            DaysAfterInitiation: Number(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation),
          },
        }
      : {}),
  };
}
