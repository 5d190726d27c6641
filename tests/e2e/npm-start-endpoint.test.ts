/**
 * `npm start` with AWS_ENDPOINT_URL set (the LocalStack path): it must use that endpoint instead of starting its own
 * emulator. An emulator started here stands in for LocalStack, since Docker cannot run on these machines.
 */
import { ListTablesCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../infra/emulator.ts";
import { DynamoApiKeyStore } from "../../lib/adapters/dynamo-api-key-store.ts";
import { parseApiKey } from "../../lib/domain/api-key.ts";
import { type RunningApp, startApp } from "../support/app.ts";
import { eventually } from "../support/wait.ts";

let external: RunningEmulator;
let app: RunningApp;
let stateDir: string;

beforeAll(async () => {
  external = await startEmulator({ port: 0 });
  stateDir = await mkdtemp(join(tmpdir(), "offload-endpoint-"));
  app = await startApp({ ...process.env, AWS_ENDPOINT_URL: external.endpoint }, { stateDir });
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await external?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe("npm start with AWS_ENDPOINT_URL", () => {
  it("uses the given endpoint and creates the stack's resources there", async () => {
    expect(app.output()).toContain(`AWS        ${external.endpoint} (from AWS_ENDPOINT_URL)`);
    expect(app.output()).not.toContain("embedded emulator listening");
    const dynamo = new DynamoDBClient({
      endpoint: external.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const { TableNames } = await dynamo.send(new ListTablesCommand({}));
    expect(TableNames).toContain("offload-local-tasks");
    expect(TableNames).toContain("offload-local-api-keys");
  });

  it("runs a task through it, with the development key stored there", async () => {
    const auth = { authorization: `Bearer ${app.apiKey}` };
    const response = await fetch(`${app.api}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth },
      body: JSON.stringify({ type: "echo", input: { message: "via endpoint" } }),
    });
    const { id } = (await response.json()) as { id: string };
    const done = await eventually(
      async () => {
        const view = (await (await fetch(`${app.api}/tasks/${id}`, { headers: auth })).json()) as { status: string; result: unknown };
        return view.status === "succeeded" ? view : undefined;
      },
      { what: "the task to succeed", timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(done.result).toEqual({ message: "via endpoint", attempt: 1 });
  });

  it("replaces a saved key that the store kept but revoked, and the dashboard is prefilled with the new one", async () => {
    const revoked = app.apiKey;
    await app.stop();
    const dynamo = new DynamoDBClient({
      endpoint: external.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    const keys = new DynamoApiKeyStore({ client: DynamoDBDocumentClient.from(dynamo), tableName: "offload-local-api-keys" });
    expect(await keys.revoke(parseApiKey(revoked)!.prefix, new Date())).toBeDefined();

    // npm start hands the dashboard the saved key before the key table exists; refused there, it restarts the API.
    app = await startApp({ ...process.env, AWS_ENDPOINT_URL: external.endpoint }, { stateDir });
    expect(app.apiKey).not.toBe(revoked);
    expect(app.output()).toContain("restarting the HTTP API with the new one");
    const page = await (await fetch(`${app.api}/`)).text();
    expect(page).toContain(`value="${app.apiKey}"`);
    expect(page).not.toContain(revoked);
  }, 120_000);
});
