/**
 * Runs `serverless package` offline (dummy credentials) and hands back its output folder, shared by every test file
 * that asks for the same stage and environment.
 *
 * Vitest runs each test file in a worker process of its own, so the output is shared on disk: the first process to ask
 * packages, the others wait for it. Its folder is named after a hash of everything the template and the bundles are
 * made from, so a later run with the same sources reuses it and any change packages afresh. Packaging uses an esbuild
 * work folder of its own: serverless-esbuild deletes its work folder when done, which would break a packaging running
 * beside it in the same worktree (another test file, `npm start`, `npm run package`).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { OFFLINE_AWS_ENV, PROJECT_ROOT, serverlessBin } from "../../infra/serverless-config.ts";

/** What `serverless package` reads (besides node_modules, which package-lock.json pins). */
const INPUTS = ["serverless.yml", "package.json", "package-lock.json", "tsconfig.json", "infra", "functions", "lib"];
/** A lock this old belongs to a packaging that died (one takes a minute or two). */
const STALE_LOCK_MS = 5 * 60_000;

const packaged = new Map<string, Promise<string>>();

/** `serverless package --stage <stage>`, once for all test files; extra environment for cross-platform builds. */
export function packageService(stage = "dev", env: Record<string, string> = {}): Promise<string> {
  const key = `${stage}:${JSON.stringify(env)}`;
  let job = packaged.get(key);
  if (!job) {
    job = sharedPackage(stage, env);
    packaged.set(key, job);
  }
  return job;
}

export function readTemplate(dir: string): CloudFormationTemplate {
  return JSON.parse(readFileSync(join(dir, "cloudformation-template-update-stack.json"), "utf8")) as CloudFormationTemplate;
}

export interface CloudFormationTemplate {
  Resources: Record<string, CloudFormationResource>;
}

export interface CloudFormationResource {
  Type: string;
  Properties: Record<string, any>;
  DependsOn?: unknown;
}

/** A resource of the template by logical id; throws naming it when it is missing. */
export function resourceOf(template: CloudFormationTemplate, logicalId: string): CloudFormationResource {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`No resource ${logicalId} in the template.`);
  return found;
}

/** Every resource of a CloudFormation type, as [logical id, resource]. */
export function resourcesOfType(template: CloudFormationTemplate, type: string): [string, CloudFormationResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

async function sharedPackage(stage: string, env: Record<string, string>): Promise<string> {
  const sources = fingerprint(stage, env);
  const dir = join(tmpdir(), `offload-package-${sources}`);
  const out = join(dir, "out");
  const done = join(dir, "done");
  const lock = join(dir, "lock");
  mkdirSync(dir, { recursive: true });
  for (;;) {
    if (existsSync(done) && existsSync(out)) return out;
    if (takeLock(lock)) {
      try {
        rmSync(out, { recursive: true, force: true });
        await runPackage(stage, env, out);
        // Sources edited while packaging: this output is good for no later run.
        if (fingerprint(stage, env) === sources) writeFileSync(done, new Date().toISOString());
        return out;
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    }
    // Another process is packaging these sources: wait for it (the caller's hook timeout bounds the wait).
    if (lockAgeMs(lock) > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
    await sleep(500);
  }
}

function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function lockAgeMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0; // released meanwhile
  }
}

async function runPackage(stage: string, env: Record<string, string>, out: string): Promise<void> {
  await promisify(execFile)(process.execPath, [serverlessBin(), "package", "--stage", stage, "--package", out], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...OFFLINE_AWS_ENV,
      SLS_TELEMETRY_DISABLED: "1",
      OFFLOAD_ESBUILD_DIR: `.offline/package-${process.pid}`,
      ...env,
    },
    maxBuffer: 32 << 20,
  });
}

/** A hash of the stage, the environment and the content of every input file. */
function fingerprint(stage: string, env: Record<string, string>): string {
  const hash = createHash("sha256").update(JSON.stringify([stage, env]));
  for (const file of INPUTS.flatMap((input) => filesUnder(input))) {
    hash.update(`\0${file}\0`).update(readFileSync(join(PROJECT_ROOT, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

function filesUnder(path: string): string[] {
  const full = join(PROJECT_ROOT, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}
