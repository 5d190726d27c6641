/**
 * `npm start`: the whole stack on this machine.
 *   1. AWS: LocalStack if AWS_ENDPOINT_URL points at one that answers, else the embedded emulator (127.0.0.1:4566).
 *   2. Resources: created from serverless.yml's own definitions (stage `local`).
 *   3. HTTP API: serverless-offline on an internal port, behind the local gateway on 127.0.0.1:3000
 *      (infra/local-gateway.ts: API Gateway's errors, CORS and headers, not serverless-offline's).
 *   4. Worker: the real worker handler behind a local SQS event source, restarted if it dies.
 * Ctrl-C stops everything it started.
 *
 * Ports: OFFLOAD_HTTP_PORT (3000), OFFLOAD_LAMBDA_PORT (3002), OFFLOAD_EMULATOR_PORT (4566).
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { startEmulator, type RunningEmulator } from "../infra/emulator.ts";
import { gatewaySettings, startLocalGateway, type LocalGateway } from "../infra/local-gateway.ts";
import { provisionStack } from "../infra/provision.ts";
import { loadServerlessConfig, OFFLINE_AWS_ENV, PROJECT_ROOT, serverlessBin } from "../infra/serverless-config.ts";
import { ensureDevKey } from "./dev-key.ts";

const STAGE = "local";
const region = process.env.AWS_REGION ?? "us-east-1";
const httpPort = Number(process.env.OFFLOAD_HTTP_PORT ?? 3000);
const lambdaPort = Number(process.env.OFFLOAD_LAMBDA_PORT ?? 3002);
const emulatorPort = Number(process.env.OFFLOAD_EMULATOR_PORT ?? 4566);

const children = new Set<ChildProcess>();
let emulator: RunningEmulator | undefined;
let gateway: LocalGateway | undefined;
let stopping = false;

async function main() {
  const config = await loadServerlessConfig(STAGE, region);
  const offlinePort = await openGateway(gatewaySettings(config));
  const endpoint = await chooseEndpoint();
  const stack = await provisionStack(config, { endpoint, region });
  log(`resources ready: ${Object.values(stack.resources).map((r) => r.name).join(", ")}`);
  if (stack.skipped.length) log(`not supported by this emulator (skipped): ${stack.skipped.join("; ")}`);
  // The development API key (tenant dev), kept in .offload/local.json for the CLI and stored again at every start.
  const apiUrl = `http://127.0.0.1:${httpPort}`;
  const devKey = await ensureDevKey({ endpoint, region, tableName: stack.environment.API_KEYS_TABLE!, apiUrl });
  log(`development API key ${devKey.reused ? "restored from" : "created and saved in"} ${devKey.shownPath}`);
  // No Secrets Manager here: the watch-token key provisioning generated for this run goes to the functions as a literal.
  const watchTokenSecret = stack.secrets[stack.environment.WATCH_TOKEN_SECRET_NAME ?? ""];
  if (!watchTokenSecret) throw new Error("serverless.yml defines no watch-token secret (WATCH_TOKEN_SECRET_NAME).");

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...OFFLINE_AWS_ENV,
    AWS_REGION: region,
    AWS_ENDPOINT_URL: endpoint,
    OFFLOAD_ESBUILD_DIR: `.offline/${process.pid}`,
    ...stack.environment,
    WATCH_TOKEN_SECRET: watchTokenSecret,
    // Your own credentials go to an endpoint of your choosing (LocalStack), never to the embedded emulator: it checks
    // presigned URLs with the only credentials it knows, test/test, and would refuse URLs signed with yours.
    ...(!emulator && process.env.AWS_ACCESS_KEY_ID ? { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID } : {}),
    ...(!emulator && process.env.AWS_SECRET_ACCESS_KEY ? { AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY } : {}),
  };
  const worker = config.functions.worker;
  const params = (config as unknown as { params: { default: Record<string, unknown> } }).params.default;
  startWorker({
    ...env,
    WORKER_TIMEOUT_SECONDS: String(worker?.timeout ?? 300),
    LOCAL_WORKER_BATCH_SIZE: String(params.workerBatchSize ?? 10),
    LOCAL_WORKER_CONCURRENCY: String(Math.min(Number(params.workerMaxConcurrency ?? 4), 4)),
  });
  // Only the local dashboard gets the development key, to prefill its key form. OFFLOAD_LOCAL_GATEWAY: the HTTP
  // functions read the real content type from the local gateway's header (infra/local-gateway.ts).
  await startApi({ ...env, OFFLOAD_DEV_API_KEY: devKey.key, OFFLOAD_LOCAL_GATEWAY: "true" }, offlinePort);

  const api = apiUrl;
  console.log(`
Offload is running.
  API        ${api}
  AWS        ${endpoint}${emulator ? " (embedded emulator)" : " (from AWS_ENDPOINT_URL)"}
  API key    ${devKey.key}
             (tenant dev, tasks:read + tasks:write; saved in ${devKey.shownPath}, which npx offload uses)
  Dashboard  ${api}/ (its key form comes filled in with this key)

Try it:
  export OFFLOAD_API_KEY=${devKey.key}
  curl -s -X POST ${api}/tasks -H "Authorization: Bearer $OFFLOAD_API_KEY" -H 'content-type: application/json' -d '{"type":"echo","input":{"message":"hello","sleepMs":2000,"steps":4}}'
  curl -s ${api}/tasks/<id from the answer> -H "Authorization: Bearer $OFFLOAD_API_KEY"
  npx offload enqueue echo --input '{"message":"hello","sleepMs":2000,"steps":4}' --wait

Ctrl-C stops everything.
`);
}

async function chooseEndpoint(): Promise<string> {
  const configured = process.env.AWS_ENDPOINT_URL;
  if (configured) {
    if (await answers(configured)) {
      log(`using the AWS endpoint from AWS_ENDPOINT_URL: ${configured}`);
      return configured;
    }
    log(`AWS_ENDPOINT_URL=${configured} does not answer; starting the embedded emulator instead`);
  }
  emulator = await startEmulator({ port: emulatorPort });
  log(`embedded emulator listening on ${emulator.endpoint}`);
  return emulator.endpoint;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
    return true;
  } catch {
    return false;
  }
}

function startWorker(env: NodeJS.ProcessEnv) {
  const child = fork(new URL("./local-worker.ts", import.meta.url), [], {
    cwd: PROJECT_ROOT,
    env,
    execArgv: ["--import", "tsx"],
    stdio: "inherit",
  });
  children.add(child);
  child.on("exit", (code, signal) => {
    children.delete(child);
    if (stopping) return;
    log(`worker exited (${signal ?? code}); starting a new one, as Lambda would`);
    setTimeout(() => startWorker(env), 500);
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

async function startApi(env: NodeJS.ProcessEnv, offlinePort: number) {
  const child = spawn(
    process.execPath,
    // --localEnvironment: the functions get this process's environment too (WATCH_TOKEN_SECRET, OFFLOAD_DEV_API_KEY),
    // not only AWS_* and serverless.yml's.
    [serverlessBin(), "offline", "start", "--stage", STAGE, "--httpPort", String(offlinePort), "--lambdaPort", String(lambdaPort), "--localEnvironment"],
    // serverless-offline would hand an AUTHORIZER variable's JSON to every handler as the authorizer's context.
    { cwd: PROJECT_ROOT, env: { ...env, AUTHORIZER: undefined }, stdio: ["ignore", "inherit", "inherit"] },
  );
  children.add(child);
  child.on("exit", (code, signal) => {
    children.delete(child);
    if (!stopping) {
      log(`the HTTP API (serverless-offline) exited (${signal ?? code}); stopping`);
      void shutdown(1);
    }
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await answers(`http://127.0.0.1:${offlinePort}/tasks/ping`)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`The HTTP API (serverless-offline) did not come up on 127.0.0.1:${offlinePort} within 60 s.`);
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
  rmSync(new URL(`../.offline/${process.pid}`, import.meta.url), { recursive: true, force: true });
  process.exit(code);
}

function log(message: string) {
  console.log(`[offload] ${message}`);
}

process.once("SIGINT", () => void shutdown(0));
process.once("SIGTERM", () => void shutdown(0));
main().catch(async (error: unknown) => {
  console.error(`[offload] could not start: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
