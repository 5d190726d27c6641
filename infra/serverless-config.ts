/** Reads the resolved serverless.yml of a stage through the framework itself (`serverless print`), offline. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export interface ServerlessConfig {
  readonly service: string;
  readonly provider: { readonly stage: string; readonly region: string; readonly environment?: Record<string, unknown> };
  readonly functions: Record<string, { handler: string; timeout?: number; events?: unknown[] } & Record<string, unknown>>;
  readonly resources?: { Resources?: Record<string, unknown> };
  readonly custom?: Record<string, unknown>;
}

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Dummy credentials: `print` needs some, and must never reach a real account. */
export const OFFLINE_AWS_ENV = {
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_REGION: "us-east-1",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

export async function loadServerlessConfig(stage: string, region = "us-east-1"): Promise<ServerlessConfig> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [serverlessBin(), "print", "--stage", stage, "--region", region, "--format", "json"],
    { cwd: PROJECT_ROOT, env: { ...process.env, ...OFFLINE_AWS_ENV, SLS_TELEMETRY_DISABLED: "1" }, maxBuffer: 16 << 20 },
  );
  return JSON.parse(stdout) as ServerlessConfig;
}

export function serverlessBin(): string {
  return fileURLToPath(new URL("../node_modules/serverless/bin/serverless.js", import.meta.url));
}
