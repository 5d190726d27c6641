/**
 * End to end: boots the `npm start` stack (embedded emulator, serverless-offline, local worker) on free ports and
 * drives it over HTTP with fetch, as a newcomer would with curl.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import { eventually } from "../support/wait.ts";

let app: ChildProcess;
let api: string;
let output = "";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  const [httpPort, lambdaPort, emulatorPort] = [await freePort(), await freePort(), await freePort()];
  api = `http://127.0.0.1:${httpPort}`;
  const { AWS_ENDPOINT_URL: _ignored, ...env } = process.env;
  app = spawn("npm", ["start"], {
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
  app.stdout?.on("data", (chunk) => (output += String(chunk)));
  app.stderr?.on("data", (chunk) => (output += String(chunk)));
  await eventually(async () => output.includes("Offload is running"), {
    what: "npm start to report it is running",
    timeoutMs: 90_000,
    intervalMs: 200,
  }).catch((error: Error) => {
    throw new Error(`${error.message}\n--- npm start output ---\n${output}`);
  });
}, 120_000);

const running = () => app.exitCode === null && app.signalCode === null;

afterAll(async () => {
  if (!app || !running()) return;
  const exited = new Promise((resolve) => app.once("exit", resolve));
  process.kill(-app.pid!, "SIGINT");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  if (running()) process.kill(-app.pid!, "SIGKILL");
});

describe("npm start", () => {
  it("prints the API address and a curl example", () => {
    expect(output).toContain(`API        ${api}`);
    expect(output).toContain(`curl -s -X POST ${api}/tasks`);
  });

  it("accepts a task over HTTP and runs it to success, with progress on the way", async () => {
    const response = await fetch(`${api}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "echo", input: { message: "end to end", sleepMs: 1500, steps: 3 } }),
    });
    expect(response.status).toBe(202);
    const queued = (await response.json()) as { id: string; status: string };
    expect(queued.status).toBe("queued");
    expect(response.headers.get("location")).toBe(`/tasks/${queued.id}`);

    const seen = new Set<string>();
    const done = await eventually(
      async () => {
        const view = (await (await fetch(`${api}/tasks/${queued.id}`)).json()) as {
          status: string;
          progress: { percent?: number } | null;
          result: unknown;
        };
        seen.add(view.status);
        if (view.status === "running" && view.progress?.percent !== undefined) seen.add(`progress:${view.progress.percent}`);
        return view.status === "succeeded" || view.status === "failed" ? view : undefined;
      },
      { what: "the task to finish", timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(done.status).toBe("succeeded");
    expect(done.result).toEqual({ message: "end to end", attempt: 1 });
    expect(seen).toContain("running");
    expect([...seen].some((entry) => entry.startsWith("progress:"))).toBe(true);
  });

  it("answers bad requests with JSON errors", async () => {
    const response = await fetch(`${api}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"type":"echo",',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
  });

  it("stops everything it started on Ctrl-C", async () => {
    // Ctrl-C in a terminal signals the whole process group: npm, the start script and every child it spawned.
    process.kill(-app.pid!, "SIGINT");
    await eventually(
      async () => {
        try {
          process.kill(-app.pid!, 0);
          return false;
        } catch {
          return true; // ESRCH: no process of the group is left
        }
      },
      { what: "every process npm start spawned to exit", timeoutMs: 20_000 },
    );
    await expect(fetch(`${api}/tasks/x`)).rejects.toThrow();
  });
});
