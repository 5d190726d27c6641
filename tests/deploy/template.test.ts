/** What `serverless deploy` would send to CloudFormation, checked from `serverless package` output (offline). */
import { beforeAll, describe, expect, it } from "vitest";
import { apiKeysTableName } from "../../lib/resource-names.ts";
import {
  type CloudFormationTemplate,
  packageService,
  readTemplate,
  resourceOf,
  resourcesOfType,
} from "../support/package.ts";

let template: CloudFormationTemplate;

beforeAll(async () => {
  template = readTemplate(await packageService("dev"));
}, 180_000);

const resource = (logicalId: string) => resourceOf(template, logicalId).Properties;
const ofType = (type: string) => resourcesOfType(template, type);

describe("the deployed template", () => {
  it("names the API-key table as `offload keys` looks for it (lib/resource-names.ts)", () => {
    expect(resource("ApiKeysTable").TableName).toBe(apiKeysTableName("dev"));
    expect(resource("ApiKeysTable").KeySchema).toEqual([{ AttributeName: "prefix", KeyType: "HASH" }]);
  });

  it("generates the watch-token secret in Secrets Manager, never a literal in the template", () => {
    const secret = resource("WatchTokenSecret");
    expect(secret.GenerateSecretString).toMatchObject({ PasswordLength: 64 });
    expect(secret.SecretString).toBeUndefined();
    const functions = ofType("AWS::Lambda::Function");
    for (const [, fn] of functions) {
      const variables = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      expect(variables.WATCH_TOKEN_SECRET).toBeUndefined();
      expect(variables.WATCH_TOKEN_SECRET_NAME).toBe("offload-dev-watch-token");
    }
  });

  it("runs every function on nodejs22.x", () => {
    const functions = ofType("AWS::Lambda::Function");
    expect(functions.map(([id]) => id).sort()).toEqual(
      expect.arrayContaining(["EnqueueLambdaFunction", "StatusLambdaFunction", "WorkerLambdaFunction"]),
    );
    for (const [, fn] of functions) expect(fn.Properties.Runtime).toBe("nodejs22.x");
  });

  it("feeds the worker from the task queue with partial batch responses", () => {
    const mapping = ofType("AWS::Lambda::EventSourceMapping").find(
      ([, m]) => JSON.stringify(m.Properties.FunctionName).includes("WorkerLambdaFunction"),
    )?.[1];
    expect(mapping?.Properties).toMatchObject({
      EventSourceArn: { "Fn::GetAtt": ["TaskQueue", "Arn"] },
      BatchSize: 10,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: expect.any(Number) },
    });
  });

  it("feeds the dead-letter queue to its consumer, and runs the sweeper every minute", () => {
    const consumer = ofType("AWS::Lambda::EventSourceMapping").find(
      ([, m]) => JSON.stringify(m.Properties.FunctionName).includes("DeadLetterLambdaFunction"),
    )?.[1];
    expect(consumer?.Properties.EventSourceArn).toEqual({ "Fn::GetAtt": ["TaskDeadLetterQueue", "Arn"] });
    const rules = ofType("AWS::Events::Rule").map(([, rule]) => rule.Properties);
    expect(rules).toContainEqual(
      expect.objectContaining({
        ScheduleExpression: "rate(1 minute)",
        Targets: [expect.objectContaining({ Arn: { "Fn::GetAtt": ["SweeperLambdaFunction", "Arn"] } })],
      }),
    );
  });

  it("redrives the task queue to the dead-letter queue after maxReceiveCount (default 5)", () => {
    expect(resource("TaskQueue").RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": ["TaskDeadLetterQueue", "Arn"] },
      maxReceiveCount: 5,
    });
    expect(resource("TaskQueue").MessageRetentionPeriod).toBe(1_209_600);
    expect(resource("TaskDeadLetterQueue").MessageRetentionPeriod).toBe(1_209_600);
  });

  it("keeps the queue's visibility timeout at least 6× the worker's timeout", () => {
    const workerTimeout = resource("WorkerLambdaFunction").Timeout as number;
    expect(resource("TaskQueue").VisibilityTimeout).toBeGreaterThanOrEqual(6 * workerTimeout);
  });

  it("expires task records with TTL and indexes them per tenant", () => {
    const table = resource("TasksTable");
    expect(table.BillingMode).toBe("PAY_PER_REQUEST");
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: "expiresAt", Enabled: true });
    expect(table.GlobalSecondaryIndexes.map((index: { IndexName: string }) => index.IndexName).sort()).toEqual([
      "bySweepAt",
      "byTenant",
      "byTenantStatus",
    ]);
  });

  it("keeps the results bucket private, encrypted, and expiring", () => {
    const bucket = resource("ResultsBucket");
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
      "AES256",
    );
    const rules = bucket.LifecycleConfiguration.Rules as { Id: string; ExpirationInDays?: number }[];
    expect(rules.find((rule) => rule.Id === "expire-results")?.ExpirationInDays).toBeGreaterThan(0);
    expect(rules.some((rule) => "AbortIncompleteMultipartUpload" in rule)).toBe(true);
  });

  it("limits every function's IAM statements to the stack's own tables, queues, bucket and secret", () => {
    // One role per function (infra/iam.yml; tests/deploy/iam.test.ts checks each against its table).
    const roles = ofType("AWS::Lambda::Function").map(([, fn]) => resource(fn.Properties.Role["Fn::GetAtt"][0]));
    const statements = roles.flatMap((role) =>
      role.Policies.flatMap((policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement),
    ) as { Action: string | string[]; Resource: unknown }[];
    const ours = statements.filter(
      (statement) => ![statement.Action].flat().every((action) => action.startsWith("logs:")),
    );
    // The stack's own resources, and the tables of the export datasets it declares.
    const allowed = new Set([
      "TasksTable",
      "TaskQueue",
      "TaskDeadLetterQueue",
      "ResultsBucket",
      "OrdersTable",
      "ApiKeysTable",
      "WatchTokenSecret",
    ]);
    expect(ours.length).toBeGreaterThan(0);
    for (const statement of ours) {
      expect([statement.Action].flat().every((action) => !action.includes("*"))).toBe(true);
      for (const target of [statement.Resource].flat()) {
        const named = JSON.stringify(target).match(/"(?:Fn::GetAtt":\["|Ref":")\w+"/g) ?? [];
        expect(named.length, `resource ${JSON.stringify(target)} names no stack resource`).toBeGreaterThan(0);
        for (const ref of named) expect(allowed).toContain(ref.replace(/.*"(\w+)"$/, "$1"));
      }
    }
  });
});
