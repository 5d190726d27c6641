/** Boots the real `npm start` stack on free ports, as a child process group, for end-to-end tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import { eventually } from "./wait.ts";

export interface RunningApp {
  readonly api: string;
  readonly process: ChildProcess;
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

export async function startApp(env: NodeJS.ProcessEnv): Promise<RunningApp> {
  const [httpPort, lambdaPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
  let output = "";
  const child = spawn("npm", ["start"], {
    cwd: PROJECT_ROOT,
    env: {
      ...env,
      OFFLOAD_HTTP_PORT: String(httpPort),
      OFFLOAD_LAMBDA_PORT: String(lambdaPort),
      OFFLOAD_EMULATOR_PORT: String(emulatorPort),
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout?.on("data", (chunk) => (output += String(chunk)));
  child.stderr?.on("data", (chunk) => (output += String(chunk)));

  const groupAlive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false; // ESRCH: no process of the group is left
    }
  };
  const app: RunningApp = {
    api: `http://127.0.0.1:${httpPort}`,
    process: child,
    output: () => output,
    async stop() {
      if (!groupAlive()) return;
      process.kill(-child.pid!, "SIGINT");
      await eventually(async () => !groupAlive(), { what: "every process of npm start to exit", timeoutMs: 20_000 }).catch(
        () => {
          if (groupAlive()) process.kill(-child.pid!, "SIGKILL");
        },
      );
    },
  };
  await eventually(async () => output.includes("Offload is running") || child.exitCode !== null, {
    what: "npm start to report it is running",
    timeoutMs: 90_000,
    intervalMs: 200,
  }).catch(() => undefined);
  if (!output.includes("Offload is running")) {
    await app.stop();
    throw new Error(`npm start did not come up.\n--- its output ---\n${output}`);
  }
  return app;
}
