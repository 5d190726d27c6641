/** Runs `serverless package` offline (dummy credentials) once per process and hands back its output folder. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { OFFLINE_AWS_ENV, PROJECT_ROOT, serverlessBin } from "../../infra/serverless-config.ts";

const packaged = new Map<string, Promise<string>>();

/** `serverless package --stage <stage>` into a fresh temporary folder; extra environment for cross-platform builds. */
export function packageService(stage = "dev", env: Record<string, string> = {}): Promise<string> {
  const key = `${stage}:${JSON.stringify(env)}`;
  let job = packaged.get(key);
  if (!job) {
    const dir = mkdtempSync(join(tmpdir(), "offload-package-"));
    job = promisify(execFile)(process.execPath, [serverlessBin(), "package", "--stage", stage, "--package", dir], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...OFFLINE_AWS_ENV, SLS_TELEMETRY_DISABLED: "1", ...env },
      maxBuffer: 32 << 20,
    }).then(() => dir);
    packaged.set(key, job);
  }
  return job;
}

export function readTemplate(dir: string): CloudFormationTemplate {
  return JSON.parse(readFileSync(join(dir, "cloudformation-template-update-stack.json"), "utf8")) as CloudFormationTemplate;
}

export interface CloudFormationTemplate {
  Resources: Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: unknown }>;
}
