/**
 * `npm start`: the whole stack on this machine, in about as long as serverless-offline's framework takes to boot.
 *   1. Configuration: serverless.yml resolved for stage `local` by `serverless print`, cached until an input changes
 *      (infra/serverless-config.ts).
 *   2. The local gateway takes the public port 127.0.0.1:3000 first (infra/local-gateway.ts: API Gateway's errors,
 *      CORS and headers, not serverless-offline's); it answers 502 until the HTTP API is up.
 *   3. At once, side by side, since none needs another to start: serverless-offline on an internal port, running the
 *      functions' ESM bundles that esbuild builds meanwhile into this run's folder (infra/local-offline.ts; HTTP events
 *      only); the AWS endpoint (AWS_ENDPOINT_URL if it answers, e.g. LocalStack, else the embedded emulator on
 *      127.0.0.1:4566) and the stack's resources, created from serverless.yml's own definitions; the worker process
 *      (the real worker handler behind a local SQS event source, the dead-letter consumer and the sweeper; restarted
 *      if it dies), which waits for its queues. Then the development API key is stored.
 *   4. "Offload is running" once the API answers and the worker polls its queue.
 * Each step prints a line with the seconds since the process started. Ctrl-C (or SIGTERM, or the HTTP API dying)
 * stops everything it started and removes its run folder `.offline/<pid>`; a start removes the run folders of starts
 * that were killed outright (scripts/run-folders.ts).
 *
 * Ports: OFFLOAD_HTTP_PORT (3000), OFFLOAD_LAMBDA_PORT (3002), OFFLOAD_EMULATOR_PORT (4566).
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import type { RunningEmulator } from "../infra/emulator.ts";
import { gatewaySettings, startLocalGateway, type LocalGateway } from "../infra/local-gateway.ts";
import { bundleFunctions, literalEnvironment, offlineConfig } from "../infra/local-offline.ts";
import {
  CACHE_DIR,
  OFFLINE_AWS_ENV,
  PROJECT_ROOT,
  resolveServerlessConfig,
  serverlessBin,
} from "../infra/serverless-config.ts";
import { likelyDevKey, localStatePath } from "./local-state.ts";
import { createRunFolder, removeRunFolder, removeStaleRunFolders } from "./run-folders.ts";

const STAGE = "local";
const region = process.env.AWS_REGION ?? "us-east-1";
const httpPort = Number(process.env.OFFLOAD_HTTP_PORT ?? 3000);
const lambdaPort = Number(process.env.OFFLOAD_LAMBDA_PORT ?? 3002);
const emulatorPort = Number(process.env.OFFLOAD_EMULATOR_PORT ?? 4566);
const READY_TIMEOUT_MS = 60_000;

const children = new Set<ChildProcess>();
let emulator: RunningEmulator | undefined;
let gateway: LocalGateway | undefined;
let stopping = false;
/** The functions' bundling, while it runs: esbuild must not write into the run folder after it is removed. */
let bundling: Promise<void> | undefined;

async function main() {
  const stale = removeStaleRunFolders();
  if (stale.length) log(`removed the run folders of stopped starts: ${stale.join(", ")}`);
  const runDir = createRunFolder();
  progress(`run folder ${relative(PROJECT_ROOT, runDir)} (removed on exit)`);

  const { config, cached } = await resolveServerlessConfig(STAGE, region, process.env, () =>
    progress("resolving serverless.yml (serverless print; cached for the next start)…"),
  );
  progress(cached ? "serverless.yml: resolved configuration read from the cache" : "serverless.yml resolved");
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  const offlinePort = await openGateway(gatewaySettings(config));
  progress(`gateway listening on ${apiUrl} (it answers 502 until the HTTP API is up)`);
  // The endpoint the functions get: AWS_ENDPOINT_URL's if it answers, else the embedded emulator's, which starts
  // once serverless-offline is on its way (its framework takes the longest to boot).
  const configured = process.env.AWS_ENDPOINT_URL && (await answers(process.env.AWS_ENDPOINT_URL, 2_000));
  if (process.env.AWS_ENDPOINT_URL && !configured) {
    log(`AWS_ENDPOINT_URL=${process.env.AWS_ENDPOINT_URL} does not answer; starting the embedded emulator instead`);
  }
  if (!configured && emulatorPort === 0) await startEmbeddedEmulator(); // its port is only known once it listens
  const endpoint = configured ? process.env.AWS_ENDPOINT_URL! : (emulator?.endpoint ?? `http://127.0.0.1:${emulatorPort}`);
  if (configured) progress(`using the AWS endpoint from AWS_ENDPOINT_URL: ${endpoint}`);

  // What the functions get, all known before any resource exists: the names are literal in the local stage; the
  // watch-token key (no Secrets Manager here) is generated for this run and handed to provisioning; the dashboard's
  // development key (only the local dashboard gets it, to prefill its key form) is the saved one, or the new one that
  // will be stored.
  const environment = literalEnvironment(config);
  const secretName = environment.WATCH_TOKEN_SECRET_NAME;
  if (!secretName) throw new Error("serverless.yml defines no watch-token secret (WATCH_TOKEN_SECRET_NAME).");
  const watchTokenSecret = randomBytes(48).toString("base64url");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...OFFLINE_AWS_ENV,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: endpoint,
    ...environment,
    WATCH_TOKEN_SECRET: watchTokenSecret,
    // Your own credentials go to an endpoint of your choosing (LocalStack), never to the embedded emulator: it checks
    // presigned URLs with the only credentials it knows, test/test, and would refuse URLs signed with yours.
    ...(configured && process.env.AWS_ACCESS_KEY_ID ? { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID } : {}),
    ...(configured && process.env.AWS_SECRET_ACCESS_KEY ? { AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY } : {}),
  };
  const statePath = localStatePath();
  const likelyKey = await likelyDevKey(statePath);
  writeFileSync(join(runDir, "serverless.json"), JSON.stringify(offlineConfig(config, runDir)));
  let api = startApi({ ...env, OFFLOAD_DEV_API_KEY: likelyKey }, offlinePort, runDir);
  progress("starting the HTTP API (serverless-offline)…");
  // The bundles it runs, built (or linked from the cache) while it boots: it loads a function at its first call.
  bundling = bundleFunctions(config, { projectRoot: PROJECT_ROOT, outDir: runDir, cacheDir: CACHE_DIR }).then(
    ({ cached }) => progress(cached ? "functions: the bundles of an earlier start reused" : "functions bundled"),
  );
  bundling.catch(() => undefined); // awaited below
  progress("bundling the functions (esbuild, unless the cache has them)…");

  // The worker process loads meanwhile too, and waits for the emulator and its queues.
  const worker = config.functions.worker;
  const params = (config as unknown as { params: { default: Record<string, unknown> } }).params.default;
  const workerReady = startWorker({
    ...env,
    WORKER_TIMEOUT_SECONDS: String(worker?.timeout ?? 300),
    LOCAL_WORKER_BATCH_SIZE: String(params.workerBatchSize ?? 10),
    LOCAL_WORKER_CONCURRENCY: String(Math.min(Number(params.workerMaxConcurrency ?? 4), 4)),
  }).then(() => progress("worker polling the task queue"));
  workerReady.catch(() => undefined); // awaited below
  progress("starting the worker process…");

  // Loaded only now, so that serverless-offline's boot does not wait for them (~0.7 s).
  const [{ provisionStack }, { ensureDevKey }] = await Promise.all([
    import("../infra/provision.ts"),
    import("./dev-key.ts"),
    configured || emulator ? undefined : startEmbeddedEmulator(),
  ]);

  const stack = await provisionStack(config, { endpoint, region, secrets: { [secretName]: watchTokenSecret } });
  if (stack.secrets[secretName] !== watchTokenSecret) throw new Error(`serverless.yml defines no secret ${secretName}.`);
  progress(`resources ready: ${Object.values(stack.resources).map((r) => r.name).join(", ")}`);
  if (stack.skipped.length) log(`not supported by this emulator (skipped): ${stack.skipped.join("; ")}`);
  // The development API key (tenant dev), kept in .offload/local.json for the CLI and stored again at every start.
  const devKey = await ensureDevKey({
    endpoint,
    region,
    tableName: environment.API_KEYS_TABLE!,
    apiUrl,
    path: statePath,
    preferred: likelyKey,
  });
  progress(`development API key ${devKey.reused ? "restored from" : "created and saved in"} ${devKey.shownPath}`);
  if (devKey.key !== likelyKey) {
    // The saved key could not be restored (revoked in a store that kept it): the dashboard must get the new one.
    log("the saved development key was refused by the key table; restarting the HTTP API with the new one");
    await api.replace();
    api = startApi({ ...env, OFFLOAD_DEV_API_KEY: devKey.key }, offlinePort, runDir);
  }
  await Promise.all([bundling, api.ready, workerReady]);

  console.log(`
Offload is running (started in ${seconds()}).
  API        ${apiUrl}
  AWS        ${endpoint}${emulator ? " (embedded emulator)" : " (from AWS_ENDPOINT_URL)"}
  API key    ${devKey.key}
             (tenant dev, tasks:read + tasks:write; saved in ${devKey.shownPath}, which npx offload uses)
  Dashboard  ${apiUrl}/ (its key form comes filled in with this key)

Try it:
  export OFFLOAD_API_KEY=${devKey.key}
  curl -s -X POST ${apiUrl}/tasks -H "Authorization: Bearer $OFFLOAD_API_KEY" -H 'content-type: application/json' -d '{"type":"echo","input":{"message":"hello","sleepMs":2000,"steps":4}}'
  curl -s ${apiUrl}/tasks/<id from the answer> -H "Authorization: Bearer $OFFLOAD_API_KEY"
  npx offload enqueue echo --input '{"message":"hello","sleepMs":2000,"steps":4}' --wait

Ctrl-C stops everything.
`);
}

async function startEmbeddedEmulator(): Promise<void> {
  const { startEmulator } = await import("../infra/emulator.ts");
  emulator = await startEmulator({ port: emulatorPort });
  progress(`embedded emulator listening on ${emulator.endpoint}`);
}

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/** Starts the worker process (again whenever it dies, as Lambda would); resolves when one of them first polls. */
function startWorker(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`The worker process did not poll its queue within ${READY_TIMEOUT_MS / 1000} s.`)),
      READY_TIMEOUT_MS,
    );
    const start = () => {
      const child = fork(new URL("./local-worker.ts", import.meta.url), [], {
        cwd: PROJECT_ROOT,
        env,
        execArgv: ["--import", "tsx"],
        stdio: "inherit",
      });
      children.add(child);
      child.on("message", (message) => {
        if ((message as { ready?: boolean }).ready) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code, signal) => {
        children.delete(child);
        if (stopping) return;
        log(`worker exited (${signal ?? code}); starting a new one, as Lambda would`);
        setTimeout(start, 500);
      });
    };
    start();
  });
}

/**
 * The gateway takes the public port as early as possible (an ephemeral port probed free by a caller can be taken by
 * any outgoing connection in the meantime); until serverless-offline answers, it answers 502 `bad_gateway`.
 */
async function openGateway(settings: ReturnType<typeof gatewaySettings>): Promise<number> {
  let offlinePort = await freePort();
  while ([httpPort, lambdaPort, emulatorPort].includes(offlinePort)) offlinePort = await freePort();
  gateway = await startLocalGateway({ port: httpPort, upstreamPort: offlinePort, ...settings });
  return offlinePort;
}

interface RunningApi {
  /** Resolves when serverless-offline answers HTTP; rejects if it does not within READY_TIMEOUT_MS. */
  readonly ready: Promise<void>;
  /** Stops it without stopping the stack (to start another). */
  replace(): Promise<void>;
}

/** serverless-offline, from the run folder's serverless.json (infra/local-offline.ts), on 127.0.0.1:`offlinePort`. */
function startApi(env: NodeJS.ProcessEnv, offlinePort: number, runDir: string): RunningApi {
  const child = spawn(
    process.execPath,
    // --localEnvironment: the functions get this process's environment too (WATCH_TOKEN_SECRET, OFFLOAD_DEV_API_KEY),
    // not only AWS_* and serverless.yml's.
    [
      ...[serverlessBin(), "offline", "start", "--config", "serverless.json", "--stage", STAGE, "--region", region],
      ...["--httpPort", String(offlinePort), "--lambdaPort", String(lambdaPort), "--localEnvironment"],
    ],
    // serverless-offline would hand an AUTHORIZER variable's JSON to every handler as the authorizer's context.
    // OFFLOAD_LOCAL_GATEWAY: the HTTP functions read the real content type from the local gateway's header
    // (infra/local-gateway.ts); only this local stack sets it.
    {
      cwd: runDir,
      env: { ...env, AUTHORIZER: undefined, OFFLOAD_LOCAL_GATEWAY: "true" },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  children.add(child);
  let replaced = false;
  const exited = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      children.delete(child);
      resolve();
      if (!stopping && !replaced) {
        log(`the HTTP API (serverless-offline) exited (${signal ?? code}); stopping`);
        void shutdown(1);
      }
    }),
  );
  const ready = (async () => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !replaced) {
      if (await answers(`http://127.0.0.1:${offlinePort}/tasks/ping`, 1_000)) return progress("HTTP API up");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!replaced) throw new Error(`The HTTP API (serverless-offline) did not come up within ${READY_TIMEOUT_MS / 1000} s.`);
  })();
  ready.catch(() => undefined); // awaited by main(), possibly later
  return {
    ready,
    async replace() {
      replaced = true;
      child.kill("SIGTERM");
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  await gateway?.stop();
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill("SIGTERM");
        }),
    ),
  );
  await emulator?.stop();
  await Promise.race([bundling?.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000))]);
  process.exit(code);
}

/** Seconds since this process started, e.g. `2.1 s`. */
function seconds(): string {
  return `${(performance.now() / 1000).toFixed(1)} s`;
}

function log(message: string) {
  console.log(`[offload] ${message}`);
}

function progress(message: string) {
  log(`${message} ${seconds()}`);
}

// Every way out removes the run folder: `exit` runs after shutdown()'s process.exit, an uncaught error, or the end of
// the event loop (not after a fatal signal: Ctrl-C and SIGTERM go through shutdown(), a second one stops at once).
process.on("exit", () => removeRunFolder());
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    if (!stopping) return void shutdown(0);
    log(`${signal} again: stopping at once`);
    for (const child of children) child.kill("SIGKILL");
    process.exit(1);
  });
}
// What ran this process is gone (npm got SIGTERM alone: neither npm nor its shell passes it on): stop too, rather than
// live on as an orphan holding the ports.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) void shutdown(0);
}, 1_000).unref();
process.on("uncaughtException", (error) => {
  console.error(`[offload] ${error.stack ?? error.message}`);
  void shutdown(1);
});
main().catch(async (error: unknown) => {
  console.error(`[offload] could not start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
