/**
 * End to end: boots the `npm start` stack (embedded emulator, serverless-offline, local worker) on free ports and
 * drives it over HTTP with fetch, as a newcomer would with curl — with the development API key the banner prints.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localStatePath, readLocalState } from "../../scripts/local-state.ts";
import { type RunningApp, startApp } from "../support/app.ts";
import { eventually } from "../support/wait.ts";

let app: RunningApp;
let stateDir: string;
const { AWS_ENDPOINT_URL: _ignored, OFFLOAD_API_KEY: _none, ...env } = process.env;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "offload-npm-start-"));
  app = await startApp(env, { stateDir });
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${app.apiKey}` });

function echo(headers: Record<string, string>) {
  return fetch(`${app.api}/tasks`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ type: "echo", input: { message: "hello" } }),
  });
}

/** Runs shell lines as a user pasting them would (bash, curl). */
async function shell(script: string): Promise<string> {
  const { stdout } = await promisify(execFile)("bash", ["-c", `set -eu\n${script}`], { env: { PATH: process.env.PATH } });
  return stdout;
}

describe("npm start", () => {
  it("prints the API address, a development API key (saved in .offload/local.json, 0600) and curl examples using it", async () => {
    const output = app.output();
    expect(output).toContain(`API        ${app.api}`);
    expect(output).toContain("(embedded emulator)");
    expect(app.apiKey).toMatch(/^ofl_sk_[a-km-z2-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(output).toContain(`API key    ${app.apiKey}`);
    expect(output).toContain(`export OFFLOAD_API_KEY=${app.apiKey}`);
    expect(output).toContain(`curl -s -X POST ${app.api}/tasks -H "Authorization: Bearer $OFFLOAD_API_KEY"`);
    const file = localStatePath({ OFFLOAD_STATE_DIR: stateDir });
    expect(await readLocalState(file)).toEqual({ apiUrl: app.api, apiKey: app.apiKey });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("the banner's curl examples work verbatim, pasted into a shell", async () => {
    const lines = app.output().split("\n").map((line) => line.trim());
    const exportLine = lines.find((line) => line.startsWith("export OFFLOAD_API_KEY="))!;
    const post = lines.find((line) => line.startsWith("curl -s -X POST"))!;
    const get = lines.find((line) => line.startsWith(`curl -s ${app.api}/tasks/<id from the answer>`))!;

    const queued = JSON.parse(await shell(`${exportLine}\n${post}`)) as { id: string; status: string; watchToken: string };
    expect(queued.status).toBe("queued");
    expect(queued.watchToken).toMatch(/^ofl_wt_/);
    const polled = JSON.parse(await shell(`${exportLine}\n${get.replace("<id from the answer>", queued.id)}`)) as { id: string };
    expect(polled.id).toBe(queued.id);
  });

  it("refuses a request without a key, or with an unknown one, with a 401 in the API's error shape; the key gets 202", async () => {
    const bare = await echo({});
    expect(bare.status).toBe(401);
    expect(bare.headers.get("content-type")).toContain("application/json");
    expect(await bare.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });

    const unknown = await echo({ authorization: `Bearer ofl_sk_aaaaaaaa_${"a".repeat(43)}` });
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ error: { code: "unauthorized", message: "Unknown API key." } });

    expect((await echo(auth())).status).toBe(202);
  });

  it("accepts a task over HTTP and runs it to success, with progress on the way", async () => {
    const response = await fetch(`${app.api}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth() },
      body: JSON.stringify({ type: "echo", input: { message: "end to end", sleepMs: 1500, steps: 3 } }),
    });
    expect(response.status).toBe(202);
    const queued = (await response.json()) as { id: string; status: string };
    expect(queued.status).toBe("queued");
    expect(response.headers.get("location")).toBe(`/tasks/${queued.id}`);

    const seen = new Set<string>();
    const done = await eventually(
      async () => {
        const view = (await (await fetch(`${app.api}/tasks/${queued.id}`, { headers: auth() })).json()) as {
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
    const response = await fetch(`${app.api}/tasks`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth() },
      body: '{"type":"echo",',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
  });

  it("stops everything it started on Ctrl-C", async () => {
    await app.stop();
    expect(() => process.kill(-app.process.pid!, 0)).toThrow();
    await expect(fetch(`${app.api}/tasks/x`)).rejects.toThrow();
  });

  it("the next start stores the saved key again (the emulator kept nothing) and it still works", async () => {
    const first = app.apiKey;
    app = await startApp(env, { stateDir });
    expect(app.output()).toContain("development API key restored from");
    expect(app.apiKey).toBe(first);
    expect(await readLocalState(localStatePath({ OFFLOAD_STATE_DIR: stateDir }))).toEqual({ apiUrl: app.api, apiKey: first });
    expect((await echo(auth())).status).toBe(202);
  }, 120_000);
});
