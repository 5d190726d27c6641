/**
 * Least privilege, checked on what `serverless deploy` would send to CloudFormation (`serverless package`, offline):
 * every function runs under a role of its own (infra/iam.yml) allowing exactly the grants of EXPECTED below, and every
 * route but the two public pages goes through the authorizer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import {
  type CloudFormationTemplate,
  packageService,
  readTemplate,
  resourceOf,
  resourcesOfType,
} from "../support/package.ts";

/** A stack resource or attribute as Fn::Sub writes it: `${TasksTable.Arn}`, `${WatchTokenSecret}` (see `render`). */
const sub = (expression: string) => `\${${expression}}`;
const TASKS = sub("TasksTable.Arn");
const index = (name: string) => `${TASKS}/index/${name}`;
const API_KEYS = sub("ApiKeysTable.Arn");
const ORDERS = sub("OrdersTable.Arn");
const QUEUE = sub("TaskQueue.Arn");
const DLQ = sub("TaskDeadLetterQueue.Arn");
const BUCKET = sub("ResultsBucket.Arn");
const UPLOADS = `${BUCKET}/uploads/*`;
const RESULTS = `${BUCKET}/results/*`;
const SECRET = sub("WatchTokenSecret");
/** Stands for the function's own log group, `/aws/lambda/<its FunctionName>`. */
const OWN_LOGS = "(own log group)";

type Condition = Record<string, Record<string, string | readonly string[]>>;
type Grant = readonly string[] | { readonly on: readonly string[]; readonly if: Condition };

const LOGS: Record<string, Grant> = { "logs:CreateLogStream": [OWN_LOGS], "logs:PutLogEvents": [OWN_LOGS] };
/** What an SQS event source mapping needs of the function's role (osls adds it to its own default role only). */
const eventSource = (queue: string): Record<string, Grant> => ({
  "sqs:ReceiveMessage": [queue],
  "sqs:DeleteMessage": [queue],
  "sqs:GetQueueAttributes": [queue],
});

/**
 * THE table: function → action → the resources it may act on (and the condition, if any). Anything a role allows
 * beyond it, or lacks from it, fails. Queue URLs are looked up by name (sqs:GetQueueUrl) by whoever sends.
 */
const EXPECTED: Record<string, Record<string, Grant>> = {
  authorizer: {
    ...LOGS,
    "dynamodb:GetItem": [API_KEYS],
    "dynamodb:UpdateItem": {
      on: [API_KEYS],
      if: {
        "ForAllValues:StringEquals": { "dynamodb:Attributes": ["prefix", "lastUsedAt"] },
        StringEqualsIfExists: { "dynamodb:ReturnValues": ["NONE"] },
      },
    },
    "secretsmanager:GetSecretValue": [SECRET],
  },
  enqueue: {
    ...LOGS,
    "dynamodb:PutItem": [TASKS],
    "dynamodb:GetItem": [TASKS],
    "dynamodb:UpdateItem": [TASKS],
    "dynamodb:DeleteItem": {
      on: [TASKS],
      if: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["idempotency#*"] } },
    },
    "dynamodb:Query": [index("byTenantStatus")],
    "sqs:SendMessage": [QUEUE],
    "sqs:GetQueueUrl": [QUEUE],
    "sqs:GetQueueAttributes": [QUEUE],
    "secretsmanager:GetSecretValue": [SECRET],
  },
  uploads: { ...LOGS, "s3:PutObject": [UPLOADS] },
  status: {
    ...LOGS,
    "dynamodb:GetItem": [TASKS],
    "s3:GetObject": [RESULTS],
    "secretsmanager:GetSecretValue": [SECRET],
  },
  result: { ...LOGS, "dynamodb:GetItem": [TASKS], "s3:GetObject": [RESULTS] },
  // The history only: taskEvents presents no result, so it signs no link.
  events: { ...LOGS, "dynamodb:GetItem": [TASKS] },
  // Index queries only (no GetItem); mints no watch token (lib/handlers/list.ts), so no secret.
  list: { ...LOGS, "dynamodb:Query": [index("byTenant"), index("byTenantStatus")], "s3:GetObject": [RESULTS] },
  cancel: { ...LOGS, "dynamodb:GetItem": [TASKS], "dynamodb:UpdateItem": [TASKS] },
  redriveOne: {
    ...LOGS,
    "dynamodb:GetItem": [TASKS],
    "dynamodb:UpdateItem": [TASKS],
    "sqs:SendMessage": [QUEUE],
    "sqs:GetQueueUrl": [QUEUE],
  },
  redriveAll: {
    ...LOGS,
    "dynamodb:GetItem": [TASKS],
    "dynamodb:UpdateItem": [TASKS],
    "dynamodb:Query": [index("byTenantStatus")],
    "sqs:SendMessage": [QUEUE],
    "sqs:GetQueueUrl": [QUEUE],
  },
  sweeper: {
    ...LOGS,
    "dynamodb:GetItem": [TASKS],
    "dynamodb:UpdateItem": [TASKS],
    "dynamodb:Query": [index("bySweepAt")],
    "sqs:SendMessage": [QUEUE],
    "sqs:GetQueueUrl": [QUEUE],
  },
  deadLetter: { ...LOGS, ...eventSource(DLQ), "dynamodb:GetItem": [TASKS], "dynamodb:UpdateItem": [TASKS] },
  worker: {
    ...LOGS,
    ...eventSource(QUEUE),
    "dynamodb:GetItem": [TASKS],
    "dynamodb:UpdateItem": [TASKS],
    "dynamodb:Query": [ORDERS],
    "dynamodb:Scan": [ORDERS],
    "dynamodb:DescribeTable": [ORDERS],
    "sqs:ChangeMessageVisibility": [QUEUE],
    "sqs:GetQueueUrl": [QUEUE, DLQ],
    // QUEUE: a long export's continuation in a fresh message (run-delivery.ts continueInNewDelivery).
    "sqs:SendMessage": [QUEUE, DLQ],
    // results/*: HeadObject of an export whose completion may have landed before a crash (part-sink.ts finish).
    "s3:GetObject": [UPLOADS, RESULTS],
    "s3:PutObject": [RESULTS],
    "s3:DeleteObject": [RESULTS],
    "s3:AbortMultipartUpload": [RESULTS],
    "s3:ListBucket": [BUCKET],
  },
  openapi: { ...LOGS },
  dashboard: { ...LOGS },
};

/** The two pages anyone may fetch; every other route needs a credential. */
const PUBLIC_ROUTES = ["GET /", "GET /openapi.json"];
/** The one route that takes a watch token as `?token=` (the `link` authorizer, no identity source, no cache). */
const LINK_ROUTES = ["GET /tasks/{id}/result"];

let template: CloudFormationTemplate;

beforeAll(async () => {
  // The same packaging as template.test.ts's: whichever file asks first packages, the other reads its output.
  template = readTemplate(await packageService("dev"));
}, 180_000);

const resource = (logicalId: string) => resourceOf(template, logicalId);
const ofType = (type: string) => resourcesOfType(template, type);

/** Function name in serverless.yml (e.g. `redriveOne`) → its Lambda resource. */
function lambdas(): Map<string, Record<string, any>> {
  return new Map(
    ofType("AWS::Lambda::Function").map(([, fn]) => [
      String(fn.Properties.FunctionName).replace(/^offload-dev-/, ""),
      fn.Properties,
    ]),
  );
}

function roleIdOf(fn: string): string {
  const role = lambdas().get(fn)?.Role as { "Fn::GetAtt"?: [string, string] } | undefined;
  const [id, attribute] = role?.["Fn::GetAtt"] ?? [];
  if (!id || attribute !== "Arn") {
    throw new Error(`${fn} does not run under a role of the stack: ${JSON.stringify(role)}`);
  }
  return id;
}

interface Statement {
  Effect: string;
  Action?: string | string[];
  Resource?: unknown;
  Condition?: Condition;
  [other: string]: unknown;
}

const STATEMENT_KEYS = ["Sid", "Effect", "Action", "Resource", "Condition"];

function statementsOf(fn: string): Statement[] {
  const policies = (resource(roleIdOf(fn)).Properties.Policies ?? []) as {
    PolicyDocument: { Statement: Statement[] };
  }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** A resource expression as one string in Fn::Sub syntax: `${TasksTable.Arn}/index/byTenant`, `${WatchTokenSecret}`. */
function render(value: unknown): string {
  if (typeof value === "string") return value;
  const [fn, arg] = Object.entries(value as Record<string, unknown>)[0] ?? [];
  if (fn === "Fn::GetAtt") {
    const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split(".");
    return sub(`${id}.${attribute}`);
  }
  if (fn === "Ref") return sub(String(arg));
  if (fn === "Fn::Sub" && typeof arg === "string") return arg;
  if (fn === "Fn::Join") {
    const [separator, parts] = arg as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  throw new Error(`Unexpected resource expression ${JSON.stringify(value)}.`);
}

function canonical(condition: Condition | undefined): string {
  if (!condition) return "";
  const sorted = Object.entries(condition)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([operator, keys]) => [
      operator,
      Object.fromEntries(
        Object.entries(keys)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, values]) => [key, [values].flat().map(String).sort()]),
      ),
    ]);
  return ` if ${JSON.stringify(Object.fromEntries(sorted))}`;
}

function ownLogGroup(fn: string): string {
  const name = String(lambdas().get(fn)?.FunctionName);
  return `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${name}:*`;
}

interface Allowed {
  readonly action: string;
  readonly resource: string;
  readonly condition: string;
}

/** Every (action, resource) a function's role allows, with its condition. */
function allowed(fn: string): Allowed[] {
  return statementsOf(fn).flatMap((statement) =>
    [statement.Action ?? []].flat().flatMap((action) =>
      [statement.Resource ?? []].flat().map((target) => ({
        action,
        resource: render(target),
        condition: canonical(statement.Condition),
      })),
    ),
  );
}

function describeGrant({ action, resource, condition }: Allowed): string {
  return `${action} on ${resource}${condition}`;
}

function expectedGrants(fn: string): string[] {
  return Object.entries(EXPECTED[fn] ?? {})
    .flatMap(([action, grant]) => {
      const on = "on" in grant ? grant.on : grant;
      const condition = canonical("on" in grant ? grant.if : undefined);
      return on.map((target) => ({ action, resource: target === OWN_LOGS ? ownLogGroup(fn) : target, condition }));
    })
    .map(describeGrant)
    .sort();
}

function actionsOf(fn: string): Set<string> {
  return new Set(allowed(fn).map((grant) => grant.action));
}

describe("IAM: one role per function, least privilege", () => {
  it("creates no shared framework role, and no policy outside the roles", () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    const iamTypes = Object.values(template.Resources)
      .map((r) => r.Type)
      .filter((type) => type.startsWith("AWS::IAM::"));
    // No AWS::IAM::Policy or ManagedPolicy attaching more to a role behind the table's back.
    expect(new Set(iamTypes)).toEqual(new Set(["AWS::IAM::Role"]));
    expect(iamTypes).toHaveLength(lambdas().size);
  });

  it("has an entry in the table for every function, and none for functions that do not exist", () => {
    expect([...lambdas().keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it("runs every function under a role of its own that only Lambda can assume", () => {
    const roleIds = [...lambdas().keys()].map(roleIdOf);
    expect(new Set(roleIds).size, "two functions share a role").toBe(roleIds.length);
    for (const id of roleIds) {
      const role = resource(id);
      expect(role.Type).toBe("AWS::IAM::Role");
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
      expect(role.Properties.ManagedPolicyArns, `${id} attaches managed policies`).toBeUndefined();
    }
  });

  it.each(Object.keys(EXPECTED))("gives %s exactly the grants of the table", (fn) => {
    for (const statement of statementsOf(fn)) {
      // Plain allows only: a NotAction or NotResource would allow everything else.
      expect(statement.Effect).toBe("Allow");
      expect(Object.keys(statement).filter((key) => !STATEMENT_KEYS.includes(key))).toEqual([]);
      expect(statement.Action && statement.Resource, JSON.stringify(statement)).toBeTruthy();
    }
    expect(allowed(fn).map(describeGrant).sort()).toEqual(expectedGrants(fn));
  });

  it("allows no wildcard action, no `*` resource, and nothing outside the stack but the function's own logs", () => {
    const stackResource = /^\$\{(\w+)(?:\.Arn)?\}/;
    for (const fn of lambdas().keys()) {
      for (const { action, resource: target } of allowed(fn)) {
        expect(action, `${fn}: ${action}`).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        expect(target, `${fn}: ${action}`).not.toBe("*");
        if (target === ownLogGroup(fn)) continue;
        const named = stackResource.exec(target)?.[1];
        expect(named, `${fn}: ${action} on ${target} names no resource of the stack`).toBeDefined();
        expect(template.Resources[named!], `${fn}: ${action} on ${target}`).toBeDefined();
      }
    }
  });
});

describe("IAM: what the functions cannot do", () => {
  const writes = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "sqs:SendMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
  ];

  it.each(["status", "list", "result", "events"])("%s cannot write the table, S3 or SQS", (fn) => {
    const actions = actionsOf(fn);
    expect(writes.filter((action) => actions.has(action))).toEqual([]);
    expect([...actions].filter((action) => action.startsWith("sqs:"))).toEqual([]);
  });

  it("enqueue cannot read results, nor touch S3 at all", () => {
    // A replayed Idempotency-Key answers with the stored result, without download links (toView, not presentTask).
    expect([...actionsOf("enqueue")].filter((action) => action.startsWith("s3:"))).toEqual([]);
  });

  it("enqueue can delete idempotency keys, never a task", () => {
    const deletes = allowed("enqueue").filter((grant) => grant.action === "dynamodb:DeleteItem");
    expect(deletes).toHaveLength(1);
    expect(deletes[0]?.condition).toContain('"dynamodb:LeadingKeys":["idempotency#*"]');
  });

  it("uploads can only sign uploads", () => {
    const data = allowed("uploads").filter((grant) => !grant.action.startsWith("logs:"));
    expect(data.map(describeGrant)).toEqual([`s3:PutObject on ${UPLOADS}`]);
  });

  it("the authorizer can read keys and touch their lastUsedAt, read the token key, and nothing else", () => {
    const data = allowed("authorizer").filter((grant) => !grant.action.startsWith("logs:"));
    expect(new Set(data.map((grant) => grant.resource))).toEqual(new Set([API_KEYS, SECRET]));
    const updates = data.filter((grant) => grant.action === "dynamodb:UpdateItem");
    expect(updates).toHaveLength(1);
    // ForAllValues: every attribute the request names must be one of these two.
    expect(updates[0]?.condition).toContain(
      '"ForAllValues:StringEquals":{"dynamodb:Attributes":["lastUsedAt","prefix"]}',
    );
    expect(updates[0]?.condition).toContain('"dynamodb:ReturnValues":["NONE"]');
    expect(data.map((grant) => grant.action).sort()).toEqual([
      "dynamodb:GetItem",
      "dynamodb:UpdateItem",
      "secretsmanager:GetSecretValue",
    ]);
  });

  it("only the worker reads export datasets, writes results or sends to the dead-letter queue", () => {
    for (const fn of lambdas().keys()) {
      if (fn === "worker") continue;
      const grants = allowed(fn);
      expect(grants.filter((grant) => grant.resource === ORDERS).map(describeGrant), fn).toEqual([]);
      expect(
        grants.filter((grant) => grant.resource === RESULTS && grant.action !== "s3:GetObject").map(describeGrant),
        fn,
      ).toEqual([]);
      expect(
        grants.filter((grant) => grant.resource === DLQ && grant.action === "sqs:SendMessage").map(describeGrant),
        fn,
      ).toEqual([]);
    }
  });

  it("only the two queue consumers receive messages, each from its own queue", () => {
    const receivers = [...lambdas().keys()].flatMap((fn) =>
      allowed(fn)
        .filter((grant) => grant.action === "sqs:ReceiveMessage")
        .map((grant) => `${fn} ${grant.resource}`),
    );
    expect(receivers.sort()).toEqual([`deadLetter ${DLQ}`, `worker ${QUEUE}`]);
  });

  it.each(["openapi", "dashboard"])("%s can only write its logs", (fn) => {
    expect(allowed(fn).map(describeGrant).sort()).toEqual([
      `logs:CreateLogStream on ${ownLogGroup(fn)}`,
      `logs:PutLogEvents on ${ownLogGroup(fn)}`,
    ]);
  });
});

describe("the HTTP API's authorizers", () => {
  const authorizers = () => new Map(ofType("AWS::ApiGatewayV2::Authorizer"));
  const routes = () => ofType("AWS::ApiGatewayV2::Route").map(([, route]) => route.Properties);

  it("guards every route but GET / and GET /openapi.json, which are public", () => {
    const keys = routes().map((route) => route.RouteKey as string);
    expect(keys).toEqual(expect.arrayContaining(PUBLIC_ROUTES));
    expect(keys.length).toBeGreaterThan(PUBLIC_ROUTES.length);
    for (const route of routes()) {
      if (PUBLIC_ROUTES.includes(route.RouteKey)) {
        expect([undefined, "NONE"], route.RouteKey).toContain(route.AuthorizationType);
        expect(route.AuthorizerId, route.RouteKey).toBeUndefined();
        continue;
      }
      expect(route.AuthorizationType, route.RouteKey).toBe("CUSTOM");
      const id = (route.AuthorizerId as { Ref?: string } | undefined)?.Ref;
      expect(authorizers().has(id ?? ""), `${route.RouteKey} → ${JSON.stringify(route.AuthorizerId)}`).toBe(true);
      // Only the download route takes `?token=`: the link authorizer has no identity source.
      expect(authorizers().get(id!)?.Properties.Name, route.RouteKey).toBe(
        LINK_ROUTES.includes(route.RouteKey) ? "link" : "apiKey",
      );
    }
  });

  it("checks API keys from the Authorization header, caching each verdict authorizerCacheTtlSeconds", () => {
    const config = parse(readFileSync(join(PROJECT_ROOT, "serverless.yml"), "utf8"), { logLevel: "silent" }) as {
      params: Record<string, Record<string, unknown> | undefined>;
    };
    const ttl = config.params.dev?.authorizerCacheTtlSeconds ?? config.params.default?.authorizerCacheTtlSeconds;
    expect(ttl).toEqual(expect.any(Number));
    const apiKey = [...authorizers().values()].find((authorizer) => authorizer.Properties.Name === "apiKey");
    expect(apiKey?.Properties).toMatchObject({
      AuthorizerType: "REQUEST",
      IdentitySource: ["$request.header.Authorization"],
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: "2.0",
      AuthorizerResultTtlInSeconds: ttl,
    });
  });

  it("runs both authorizers on the authorizer function, the link one uncached", () => {
    const link = [...authorizers().values()].find((authorizer) => authorizer.Properties.Name === "link");
    expect(link?.Properties).toMatchObject({
      AuthorizerType: "REQUEST",
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: "2.0",
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(link?.Properties.IdentitySource ?? []).toEqual([]);
    expect(authorizers().size).toBe(2);
    for (const authorizer of authorizers().values()) {
      expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain('"AuthorizerLambdaFunction","Arn"');
    }
  });
});
