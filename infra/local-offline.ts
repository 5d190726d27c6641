/**
 * How `npm start` runs serverless-offline, the local HTTP layer behind infra/local-gateway.ts.
 *
 * serverless-offline is not started on serverless.yml with serverless-esbuild, which cost ~11 s of every start on a
 * loaded 2-core machine (a separate bundle per function, 96 MB with source maps, and `sharp` installed with npm into each run's
 * build folder: 108 MB). Instead, in the run's own folder (`.offline/<pid>`, scripts/run-folders.ts):
 *   - `functions/`: the functions bundled by esbuild with serverless.yml's own `custom.esbuild` options (ESM, the
 *     createRequire banner, `sharp` external), as ONE build with code splitting: modules shared by the functions (the
 *     AWS SDK, lib/) are parsed once and written once as chunks (measured: 2.3 s instead of 27 s under load, 8 MB
 *     instead of 96 MB). Each function still runs the bundled ESM it runs on Lambda, loaded natively. Nothing is
 *     installed: the worker, the one function that imports `sharp`, runs in the local worker process, and the bundles
 *     sit inside the project, so an external import resolves from its node_modules. The deployed bundles are built and
 *     tested by `serverless package` (tests/deploy). While none of a build's inputs changed, the next start links the
 *     cached bundles instead (`bundleFunctions`): ~0.6 s less CPU per start, a tenth of what a start uses.
 *     Tried and dropped: serverless-offline running the .ts handlers itself. On Node 20 its tsx ESM loader cannot
 *     register in worker threads, so it falls back to loading them as CommonJS (not the ESM that ships), and each
 *     function's first call took 1–2.5 s longer than with a bundle.
 *   - `serverless.json`: the resolved configuration (`serverless print`'s JSON, cached by infra/serverless-config.ts)
 *     with only the serverless-offline plugin, so the framework resolves no variables and bundles nothing.
 * Only HTTP events are served: serverless-offline would also run the sweeper on its `schedule`, while the local
 * worker process already runs it every minute (on AWS it runs once a minute, so locally it must run in one place);
 * SQS events are the local worker process's too.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { link, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BuildOptions, build, version as esbuildVersion } from "esbuild";
import type { ServerlessConfig } from "./serverless-config.ts";

/** Cached bundle sets kept, newest first (an older one serves a branch switched back to). */
const BUNDLE_ENTRIES_KEPT = 3;
/** Events serverless-offline serves for `npm start`; everything else runs in the local worker process. */
const SERVED_EVENTS = new Set(["http", "httpApi"]);

/** serverless-esbuild's own options in `custom.esbuild`, which are not esbuild's. */
const PLUGIN_OPTIONS = [
  "concurrency",
  "zipConcurrency",
  "exclude",
  "nativeZip",
  "packager",
  "packagePath",
  "packagerOptions",
  "installExtraArgs",
  "watch",
  "keepOutputDirectory",
  "outputFileExtension",
  "outputBuildFolder",
  "outputWorkFolder",
  "nodeExternals",
  "skipBuild",
  "skipRebuild",
  "skipBuildExcludeFns",
  "stripEntryResolveExtensions",
  "disposeContext",
  "config",
];

/**
 * serverless-offline's configuration for `npm start`, from `print`'s resolved configuration; `codeDir` holds the
 * bundles (`bundleFunctions`).
 */
export function offlineConfig(config: ServerlessConfig, codeDir: string): Record<string, unknown> {
  const resolved = structuredClone(config) as unknown as Record<string, any>;
  resolved.plugins = ["serverless-offline"];
  if (resolved.package) delete resolved.package.artifactsS3KeyDirname; // print adds it; the schema refuses it
  resolved.custom = {
    ...resolved.custom,
    "serverless-offline": { ...resolved.custom?.["serverless-offline"], location: codeDir },
  };
  delete resolved.custom.esbuild;
  for (const fn of Object.values(resolved.functions as Record<string, { events?: object[] }>)) {
    fn.events = (fn.events ?? []).filter((event) => Object.keys(event).some((type) => SERVED_EVENTS.has(type)));
  }
  return resolved;
}

/**
 * Bundles every function's module into `outDir/<its folder>` (`functions/enqueue.mjs`, ...) with one esbuild build, or
 * links the bundles of an earlier start from `cacheDir` when none of their inputs changed: the build options, esbuild's
 * version, the lockfiles, and the content of every file the build read (esbuild's metafile: the functions, lib/, the
 * node_modules files bundled). A cache entry never changes once written (a new build is a new entry; the newest few
 * are kept, so switching branches back finds its own), and each start gets links of its own: pruning an entry never
 * touches a running start's bundles. Without `cacheDir`, it just builds.
 */
export async function bundleFunctions(
  config: ServerlessConfig,
  options: { projectRoot: string; outDir: string; cacheDir?: string },
): Promise<{ cached: boolean }> {
  const { projectRoot, outDir, cacheDir } = options;
  const buildOptions = esbuildOptions(config, projectRoot);
  if (!cacheDir) {
    await build({ ...buildOptions, outdir: outDir });
    return { cached: false };
  }
  const hash = createHash("sha256").update(`${esbuildVersion}\0${JSON.stringify(buildOptions)}\0`);
  for (const file of ["package-lock.json", "node_modules/.package-lock.json", "tsconfig.json"]) {
    hash.update(`${file}\0`).update(await readFile(join(projectRoot, file)).catch(() => "(none)"));
  }
  const prefix = `functions-${hash.digest("hex").slice(0, 16)}-`;
  const candidates = await readdir(cacheDir).catch(() => [] as string[]);
  for (const name of await newestFirst(cacheDir, candidates.filter((entry) => entry.startsWith(prefix)))) {
    if (await linkCached(join(cacheDir, name), projectRoot, outDir)) return { cached: true };
  }

  const { metafile } = await build({ ...buildOptions, outdir: outDir, metafile: true });
  const inputs: Record<string, string> = {};
  for (const input of Object.keys(metafile.inputs).sort()) inputs[input] = hashFile(join(projectRoot, input));
  const manifest = JSON.stringify(inputs);
  // Into the cache: links to this start's bundles, renamed into place whole, named after what they were built from.
  const entry = join(cacheDir, `${prefix}${createHash("sha256").update(manifest).digest("hex").slice(0, 16)}`);
  const building = `${entry}.${process.pid}.tmp`;
  await rm(building, { recursive: true, force: true });
  await linkTree(join(outDir, "functions"), join(building, "functions"));
  await writeFile(join(building, "inputs.json"), manifest);
  await rename(building, entry).catch(() => rm(building, { recursive: true, force: true })); // a parallel start won
  const entries = (await readdir(cacheDir)).filter((name) => /^functions-[0-9a-f]+-[0-9a-f]+$/.test(name));
  const stale = (await newestFirst(cacheDir, entries)).slice(BUNDLE_ENTRIES_KEPT);
  await Promise.all(stale.map((name) => rm(join(cacheDir, name), { recursive: true, force: true })));
  return { cached: false };
}

/** Links a cache entry's bundles into `outDir` if every input it was built from is unchanged. */
async function linkCached(entry: string, projectRoot: string, outDir: string): Promise<boolean> {
  try {
    const inputs = JSON.parse(await readFile(join(entry, "inputs.json"), "utf8")) as Record<string, string>;
    // ~800 files, ~3 MB: read at once, in well under 0.1 s.
    for (const [input, hash] of Object.entries(inputs)) if (hashFile(join(projectRoot, input)) !== hash) return false;
    await linkTree(join(entry, "functions"), join(outDir, "functions"));
    await utimes(entry, new Date(), new Date()); // in use: kept when the cache is pruned
    return true;
  } catch {
    // An input gone, or the entry pruned meanwhile: try another, or build.
    await rm(join(outDir, "functions"), { recursive: true, force: true });
    return false;
  }
}

async function newestFirst(dir: string, names: string[]): Promise<string[]> {
  const dated = await Promise.all(
    names.map(async (name) => ({ name, at: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  return dated.sort((a, b) => b.at - a.at).map(({ name }) => name);
}

async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const item of await readdir(from, { withFileTypes: true })) {
    if (item.isDirectory()) await linkTree(join(from, item.name), join(to, item.name));
    else await link(join(from, item.name), join(to, item.name));
  }
}

function hashFile(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** esbuild's options for the functions: serverless.yml's `custom.esbuild`, as serverless-esbuild applies them. */
function esbuildOptions(config: ServerlessConfig, projectRoot: string): BuildOptions {
  const custom = { ...(config.custom?.esbuild as Record<string, any> | undefined) };
  const extension: string = custom.outputFileExtension ?? ".js";
  const external = [...(custom.external ?? []), ...(custom.exclude ?? [])];
  for (const option of PLUGIN_OPTIONS) delete custom[option];
  // `functions/redrive.one` → functions/redrive.ts (serverless-esbuild's own rule: the module, then .ts).
  const entryPoints = [
    ...new Set(Object.values(config.functions).map((fn) => `${fn.handler.slice(0, fn.handler.lastIndexOf("."))}.ts`)),
  ].sort();
  return {
    ...custom,
    entryPoints,
    external,
    outbase: ".",
    splitting: custom.format === "esm",
    chunkNames: "functions/chunks/[name]-[hash]",
    ...(extension === ".js" ? {} : { outExtension: { ".js": extension } }),
    absWorkingDir: projectRoot,
    logLevel: "warning",
  };
}

/**
 * The functions' environment (`provider.environment`), which must be literal in a local stage: serverless-offline
 * cannot resolve CloudFormation functions (`!Ref X` reaches a handler as "[object Object]"), so the local stages
 * name their resources with params. Known before anything is provisioned, so the HTTP layer and the worker can start
 * while the resources are being created.
 */
export function literalEnvironment(config: ServerlessConfig): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.provider.environment ?? {})) {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new Error(
        `provider.environment.${name} is ${JSON.stringify(value)} in stage ${config.provider.stage}: a local stage ` +
          "needs literal values (set them with params), since serverless-offline cannot resolve CloudFormation functions.",
      );
    }
    environment[name] = String(value);
  }
  return environment;
}
