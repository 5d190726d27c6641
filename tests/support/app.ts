/**
 * Boots the real `npm start` stack on free ports, as a child process group, for end-to-end tests. Each run keeps its
 * `.offload/local.json` (the development API key) in a state folder of its own (OFFLOAD_STATE_DIR), so that parallel
 * runs never share or overwrite a key.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import { localStatePath, readLocalState } from "../../scripts/local-state.ts";
import { eventually } from "./wait.ts";

export interface RunningApp {
  readonly api: string;
  /** The development API key, as a user finds it: in `.offload/local.json`. */
  readonly apiKey: string;
  /** OFFLOAD_STATE_DIR of this run: `.offload/local.json` is under it. */
  readonly stateDir: string;
  /** The AWS endpoint the stack uses (the banner's `AWS` line). */
  readonly awsEndpoint: string;
  readonly process: ChildProcess;
  /** Milliseconds from spawning `npm start` to its "Offload is running" banner. */
  readonly readyAfterMs: number;
  /** Everything the stack printed so far. */
  output(): string;
  /** Ctrl-C to the whole process group, then waits for every process of it to exit. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `npm start`. `stateDir`: where its `.offload/` goes (kept afterwards); by default a new temporary folder,
 * deleted by `stop()`.
 */
export async function startApp(env: NodeJS.ProcessEnv, options: { stateDir?: string } = {}): Promise<RunningApp> {
  const [httpPort, lambdaPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), "offload-state-")));
  const ownsStateDir = options.stateDir === undefined;
  let output = "";
  let readyAt: number | undefined;
  const spawnedAt = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: PROJECT_ROOT,
    env: {
      ...env,
      OFFLOAD_STATE_DIR: stateDir,
      OFFLOAD_HTTP_PORT: String(httpPort),
      OFFLOAD_LAMBDA_PORT: String(lambdaPort),
      OFFLOAD_EMULATOR_PORT: String(emulatorPort),
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.on("data", (chunk) => {
    output += String(chunk);
    if (readyAt === undefined && output.includes("Offload is running")) readyAt = performance.now();
  });
  child.stderr?.on("data", (chunk) => (output += String(chunk)));

  const groupAlive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false; // ESRCH: no process of the group is left
    }
  };
  const stop = async () => {
    if (groupAlive()) {
      process.kill(-child.pid!, "SIGINT");
      await eventually(async () => !groupAlive(), { what: "every process of npm start to exit", timeoutMs: 20_000 }).catch(
        () => {
          if (groupAlive()) process.kill(-child.pid!, "SIGKILL");
        },
      );
    }
    if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
  };
  await eventually(async () => output.includes("Offload is running") || child.exitCode !== null, {
    what: "npm start to report it is running",
    timeoutMs: 90_000,
    intervalMs: 200,
  }).catch(() => undefined);
  const saved = await readLocalState(localStatePath({ OFFLOAD_STATE_DIR: stateDir }));
  if (!output.includes("Offload is running") || !saved) {
    await stop();
    throw new Error(`npm start did not come up${saved ? "" : " (or saved no API key)"}.\n--- its output ---\n${output}`);
  }
  return {
    api: `http://127.0.0.1:${httpPort}`,
    apiKey: saved.apiKey,
    stateDir,
    awsEndpoint: /^ {2}AWS {8}(\S+)/m.exec(output)?.[1] ?? "",
    process: child,
    readyAfterMs: (readyAt ?? performance.now()) - spawnedAt,
    output: () => output,
    stop,
  };
}
