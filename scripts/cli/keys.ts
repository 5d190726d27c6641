/**
 * `offload keys create|list|revoke`: API-key management for an administrator. It talks to the stage's key table in
 * DynamoDB directly (lib/use-cases/api-keys.ts), with the caller's AWS credentials — not through the HTTP API, which
 * has no key-management route. `--stage local` reaches the `npm start` stack with nothing else set: its endpoint is
 * AWS_ENDPOINT_URL, else the embedded emulator's (127.0.0.1:OFFLOAD_EMULATOR_PORT, 4566), with dummy credentials
 * unless some are set.
 */
import { type Command, Option } from "commander";
import { createAwsClients } from "../../lib/adapters/aws-clients.ts";
import { DynamoApiKeyStore } from "../../lib/adapters/dynamo-api-key-store.ts";
import { ALL_SCOPES } from "../../lib/domain/access.ts";
import { type ApiKeyRecord, parseDuration } from "../../lib/domain/api-key.ts";
import { ValidationError } from "../../lib/domain/errors.ts";
import { systemClock } from "../../lib/ports.ts";
import { apiKeysTableName } from "../../lib/resource-names.ts";
import { createApiKey, revokeApiKey } from "../../lib/use-cases/api-keys.ts";
import { CliError, ExitCode, UsageError } from "./output.ts";

const PREFIX = /^[a-km-z2-9]{8}$/;
const LOCAL_STAGE = "local";

interface TargetOptions {
  stage: string;
  region: string;
}

/** Where the keys are: the stage's table, in its region (or the local stack). */
interface KeyTable {
  readonly deps: { keys: DynamoApiKeyStore; clock: typeof systemClock };
  readonly table: string;
  readonly stage: string;
  /** For messages: the endpoint, or the region. */
  readonly where: string;
  close(): void;
}

function openKeyTable({ stage, region }: TargetOptions): KeyTable {
  // The SDK's Node-version notice would land in every command's output (the npm scripts silence it the same way).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const local = stage === LOCAL_STAGE;
  const endpoint = local
    ? process.env.AWS_ENDPOINT_URL || `http://127.0.0.1:${process.env.OFFLOAD_EMULATOR_PORT || 4566}`
    : undefined;
  const dummy = local && !process.env.AWS_ACCESS_KEY_ID;
  const clients = createAwsClients({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(dummy ? { credentials: { accessKeyId: "test", secretAccessKey: "test" } } : {}),
  });
  const table = apiKeysTableName(stage);
  return {
    deps: { keys: new DynamoApiKeyStore({ client: clients.dynamo, tableName: table }), clock: systemClock },
    table,
    stage,
    where: endpoint ?? process.env.AWS_ENDPOINT_URL ?? `AWS ${region}`,
    close: () => clients.dynamo.destroy(),
  };
}

/** Runs `work` against the stage's key table, turning AWS failures into one-line CLI errors. */
async function withKeyTable<T>(target: TargetOptions, work: (table: KeyTable) => Promise<T>): Promise<T> {
  const table = openKeyTable(target);
  try {
    return await work(table);
  } catch (error) {
    throw explain(error, table);
  } finally {
    table.close();
  }
}

function explain(error: unknown, table: KeyTable): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof ValidationError) return new UsageError(error.message);
  const { name = "", code = "", message = String(error) } = (error ?? {}) as { name?: string; code?: string; message?: string };
  const local = table.stage === LOCAL_STAGE;
  if (name === "ResourceNotFoundException") {
    return new CliError(
      `the table ${table.table} does not exist at ${table.where}; ` +
        (local ? "is `npm start` running?" : `is the stack deployed with --stage ${table.stage} in this region (--region)?`),
      ExitCode.ApiError,
    );
  }
  if (["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "ECONNRESET"].includes(code) || name === "TimeoutError") {
    return new CliError(
      `cannot reach DynamoDB at ${table.where} (${code || name}); ` +
        (local ? "is `npm start` running? (set AWS_ENDPOINT_URL if its AWS endpoint is elsewhere)" : "check the network and --region"),
      ExitCode.ApiError,
    );
  }
  if (name === "CredentialsProviderError") {
    return new CliError(
      "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the local stack needs none: --stage local)",
      ExitCode.Unauthorized,
    );
  }
  if (/AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken|InvalidClientTokenId/.test(name)) {
    return new CliError(`AWS refused the request to ${table.table}: ${message} (${name})`, ExitCode.Unauthorized);
  }
  return new CliError(`${table.table} at ${table.where}: ${message}${name ? ` (${name})` : ""}`, ExitCode.ApiError);
}

/** A stored key as the CLI shows it: everything but the hash. */
function publicView(record: ApiKeyRecord) {
  return {
    prefix: record.prefix,
    tenant: record.tenant,
    scopes: [...record.scopes],
    name: record.name,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt ?? null,
    lastUsedAt: record.lastUsedAt ?? null,
    revokedAt: record.revokedAt ?? null,
  };
}

/** `ofl_sk_abcdefgh_…` or `abcdefgh` → `abcdefgh`. */
function prefixOf(text: string): string {
  const prefix = text.trim().replace(/^ofl_sk_/, "").split("_")[0] ?? "";
  if (!PREFIX.test(prefix)) {
    throw new UsageError(`${JSON.stringify(text)} is neither a key prefix (8 characters, as \`offload keys list\` shows) nor an ofl_sk_ key`);
  }
  return prefix;
}

function parseScopes(text: string): string[] {
  const scopes = text.split(",").map((scope) => scope.trim()).filter(Boolean);
  const unknown = scopes.filter((scope) => !(ALL_SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new UsageError(`--scopes takes a comma-separated list of ${ALL_SCOPES.join(", ")}; got ${JSON.stringify(text)}`);
  }
  return scopes;
}

function parseExpiresIn(text: string): number {
  const ms = parseDuration(text);
  if (!ms) throw new UsageError(`--expires-in takes a duration such as 90d, 12h or 30m; got ${JSON.stringify(text)}`);
  return ms;
}

function withTarget(command: Command): Command {
  return command
    .option("--stage <stage>", "the stack's stage: its table is offload-<stage>-api-keys; `local` is the npm start stack", "dev")
    .addOption(new Option("--region <region>", "AWS region").env("AWS_REGION").default("us-east-1"));
}

const out = (text: string) => process.stdout.write(text);
const when = (iso: string | null | undefined) => (iso ? iso.replace(/:\d\d\.\d{3}Z$/, "Z") : "-");

/** Adds `keys create|list|revoke` to the CLI; `json()` says whether `--json` was given. */
export function registerKeyCommands(program: Command, json: () => boolean): void {
  const keys = program
    .command("keys")
    .description("manage API keys (straight in the stage's DynamoDB table, with your AWS credentials)");

  withTarget(
    keys
      .command("create")
      .description("create an API key for a tenant; the key is printed once and stored nowhere (only its SHA-256 is)")
      .requiredOption("--tenant <tenant>", "the tenant the key acts for")
      .option("--scopes <list>", `comma-separated, of ${ALL_SCOPES.join(", ")}`, "tasks:read,tasks:write")
      .option("--name <name>", "a note for listings (who or what uses the key)")
      .option("--expires-in <duration>", "lifetime: 90d, 12h, 30m (default: never expires)"),
  ).action(async (options: TargetOptions & { tenant: string; scopes: string; name?: string; expiresIn?: string }) => {
    const request = {
      tenant: options.tenant,
      scopes: parseScopes(options.scopes),
      ...(options.name ? { name: options.name } : {}),
      ...(options.expiresIn ? { expiresInMs: parseExpiresIn(options.expiresIn) } : {}),
    };
    const { key, record } = await withKeyTable(options, (table) => createApiKey(request, table.deps));
    if (json()) return void out(`${JSON.stringify({ key, ...publicView(record) }, null, 2)}\n`);
    out(
      `API key for tenant ${record.tenant}. It is shown this once and stored nowhere; keep it now:\n\n` +
        `  ${key}\n\n` +
        `  prefix   ${record.prefix}\n  tenant   ${record.tenant}\n  scopes   ${record.scopes.join(" ")}\n` +
        (record.name ? `  name     ${record.name}\n` : "") +
        `  expires  ${record.expiresAt ?? "never"}\n` +
        `  table    ${apiKeysTableName(options.stage)}\n`,
    );
  });

  withTarget(
    keys
      .command("list")
      .description("list API keys (prefix, tenant, scopes, dates; never a key or its hash)")
      .option("--tenant <tenant>", "only this tenant's keys"),
  ).action(async (options: TargetOptions & { tenant?: string }) => {
    const records = await withKeyTable(options, (table) => table.deps.keys.list(options.tenant));
    if (json()) return void out(`${JSON.stringify(records.map(publicView), null, 2)}\n`);
    if (records.length === 0) return void out(`(no API keys${options.tenant ? ` for tenant ${options.tenant}` : ""})\n`);
    const rows = [
      ["PREFIX", "TENANT", "SCOPES", "NAME", "CREATED", "EXPIRES", "LAST USED", "REVOKED"],
      ...records.map((r) => [
        r.prefix, r.tenant, r.scopes.join(","), r.name || "-", when(r.createdAt), when(r.expiresAt), when(r.lastUsedAt), when(r.revokedAt),
      ]),
    ];
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    for (const row of rows) out(`${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()}\n`);
  });

  withTarget(
    keys
      .command("revoke")
      .description("revoke an API key: the API refuses it from then on (on AWS once its authorizer cache expires: 60 s by default)")
      .argument("<prefix>", "the key's prefix (as `keys list` shows it), or the whole key"),
  ).action(async (text: string, options: TargetOptions) => {
    const prefix = prefixOf(text);
    const before = new Date();
    const record = await withKeyTable(options, async (table) => {
      const revoked = await revokeApiKey(prefix, table.deps);
      if (!revoked) throw new CliError(`no API key with prefix ${prefix} in ${table.table}`, ExitCode.ApiError);
      return revoked;
    });
    if (json()) return void out(`${JSON.stringify(publicView(record), null, 2)}\n`);
    const already = record.revokedAt !== undefined && Date.parse(record.revokedAt) < before.getTime();
    out(
      already
        ? `${prefix} (tenant ${record.tenant}) was already revoked at ${record.revokedAt}\n`
        : `revoked ${prefix} (tenant ${record.tenant}${record.name ? `, ${record.name}` : ""}) at ${record.revokedAt}\n`,
    );
  });
}
