/**
 * Reads the resolved serverless.yml of a stage through the framework itself (`serverless print`), offline.
 *
 * `serverless print` boots the whole framework (about 3 s of CPU: plugin loading, schema validation, variable
 * resolution), so its JSON is cached under `.offline/cache/`, keyed by a hash of everything it depends on
 * (`configCacheKey`): `npm start` and the test setup then read a file instead. A configuration whose resolution is not
 * a function of those inputs (it reads AWS, SSM, S3 or `sls:instanceId`) is never cached.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
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

/** Where `npm start` keeps its run folders (`.offline/<pid>`) and the cache (`.offline/cache`). Git-ignored. */
export const OFFLINE_DIR = join(PROJECT_ROOT, ".offline");
/** What a start keeps for the next one (scripts/start.ts): resolved configurations, bundles. */
export const CACHE_DIR = join(OFFLINE_DIR, "cache");
/** Cached prints kept per stage and region (several environments may alternate: parallel test runs, CORS tries). */
const CACHE_ENTRIES_KEPT = 5;

/** Dummy credentials: `print` needs some, and must never reach a real account. */
export const OFFLINE_AWS_ENV = {
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_REGION: "us-east-1",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

export interface LoadedConfig {
  readonly config: ServerlessConfig;
  /** True when it came from the cache (no `serverless print` ran). */
  readonly cached: boolean;
}

export async function loadServerlessConfig(stage: string, region = "us-east-1"): Promise<ServerlessConfig> {
  return (await resolveServerlessConfig(stage, region)).config;
}

/**
 * The resolved configuration, from the cache when its inputs did not change, else from `serverless print` (`onPrint`
 * is called before it runs).
 */
export async function resolveServerlessConfig(
  stage: string,
  region = "us-east-1",
  env: NodeJS.ProcessEnv = process.env,
  onPrint?: () => void,
): Promise<LoadedConfig> {
  const key = configCacheKey({ root: PROJECT_ROOT, stage, region, env });
  const file = key && join(CACHE_DIR, `serverless-print-${stage}-${region}-${key}.json`);
  if (file) {
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text !== undefined) {
      try {
        const config = JSON.parse(text) as ServerlessConfig;
        // Newest first when pruning: an entry in use stays.
        await utimes(file, new Date(), new Date()).catch(() => undefined);
        return { config, cached: true };
      } catch {
        // A damaged entry: print again and overwrite it.
      }
    }
  }
  onPrint?.();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [serverlessBin(), "print", "--stage", stage, "--region", region, "--format", "json"],
    { cwd: PROJECT_ROOT, env: { ...env, ...OFFLINE_AWS_ENV, SLS_TELEMETRY_DISABLED: "1" }, maxBuffer: 16 << 20 },
  );
  const config = JSON.parse(stdout) as ServerlessConfig;
  if (file) await saveCacheEntry(file, stdout, `serverless-print-${stage}-${region}-`);
  return { config, cached: false };
}

/**
 * The cache key of `serverless print --stage <stage> --region <region>` in `root`: a hash of every input of its
 * output, or undefined when the output is not a function of the inputs below.
 *   - serverless.yml, every file under infra/ (`${file(...)}` sources, their JS resolvers, CloudFormation parts) and any
 *     other file serverless.yml names in a `${file(...)}`;
 *   - package.json, package-lock.json and node_modules/.package-lock.json (the framework's and plugins' versions, as
 *     installed: plugins add defaults and schema);
 *   - the stage and region;
 *   - the environment the configuration reads: every variable named as `env:NAME` (`${env:NAME}` or
 *     `resolveVariable("env:NAME")`) or `process.env.NAME` in serverless.yml or infra's YAML, JSON and JS files, and the
 *     framework's own `SLS_*` and `SERVERLESS_*` variables.
 */
export function configCacheKey(input: {
  root: string;
  stage: string;
  region: string;
  env: Readonly<Record<string, string | undefined>>;
}): string | undefined {
  const { root, stage, region, env } = input;
  const files = ["serverless.yml", "package.json", "package-lock.json", "node_modules/.package-lock.json"]
    .map((file) => join(root, file))
    .filter((file) => existsSync(file));
  files.push(...filesUnder(join(root, "infra")));
  // Files serverless.yml names elsewhere (`${file(config/x.yml)}`) count too.
  const yml = existsSync(join(root, "serverless.yml")) ? readFileSync(join(root, "serverless.yml"), "utf8") : "";
  for (const match of yml.matchAll(/\$\{file\(([^)~:]+)\)/g)) {
    const file = join(root, match[1]!.trim());
    if (existsSync(file) && statSync(file).isFile() && !files.includes(file)) files.push(file);
  }
  const hash = createHash("sha256").update(`offload-serverless-print-v1\0${stage}\0${region}\0`);
  const envNames = new Set<string>();
  for (const file of files) {
    const content = readFileSync(file);
    hash.update(`${relative(root, file)}\0${content.length}\0`).update(content);
    if (!/\.(ya?ml|json|c?js|mjs)$/.test(file) || file.endsWith("package-lock.json")) continue;
    const text = content.toString("utf8");
    if (/\$\{(?:sls:instanceId|aws:|ssm:|s3:|cf(?:\([^)]*\))?:)/.test(text)) return undefined;
    for (const match of text.matchAll(/\benv:([A-Za-z_]\w*)|process\.env(?:\.([A-Za-z_]\w*)|\[["']([^"']+)["']\])/g)) {
      envNames.add((match[1] ?? match[2] ?? match[3])!);
    }
  }
  for (const name of Object.keys(env)) if (/^(SLS|SERVERLESS)_/.test(name)) envNames.add(name);
  for (const name of [...envNames].sort()) hash.update(`env\0${name}\0${env[name] ?? "\u0000unset"}\0`);
  return hash.digest("hex").slice(0, 32);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile())) out.push(path);
  }
  return out;
}

/** Writes an entry atomically (parallel runs may write the same one) and keeps the newest few of its kind. */
async function saveCacheEntry(file: string, content: string, kind: string) {
  await mkdir(CACHE_DIR, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
  const entries = (await readdir(CACHE_DIR)).filter((name) => name.startsWith(kind) && name.endsWith(".json"));
  const dated = await Promise.all(
    entries.map(async (name) => ({ name, mtime: (await stat(join(CACHE_DIR, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  const old = dated.sort((a, b) => b.mtime - a.mtime).slice(CACHE_ENTRIES_KEPT);
  await Promise.all(old.map(({ name }) => rm(join(CACHE_DIR, name), { force: true })));
}

export function serverlessBin(): string {
  return fileURLToPath(new URL("../node_modules/serverless/bin/serverless.js", import.meta.url));
}
