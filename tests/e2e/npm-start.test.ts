/**
 * End to end: boots the `npm start` stack (embedded emulator, serverless-offline, local worker) on free ports and
 * drives it over HTTP with fetch, as a newcomer would with curl.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApp, startApp } from "../support/app.ts";
import { eventually } from "../support/wait.ts";

let app: RunningApp;

beforeAll(async () => {
  const { AWS_ENDPOINT_URL: _ignored, ...env } = process.env;
  app = await startApp(env);
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

describe("npm start", () => {
  it("prints the API address and a curl example", () => {
    expect(app.output()).toContain(`API        ${app.api}`);
    expect(app.output()).toContain("(embedded emulator)");
    expect(app.output()).toContain(`curl -s -X POST ${app.api}/tasks`);
  });

  it("accepts a task over HTTP and runs it to success, with progress on the way", async () => {
    const response = await fetch(`${app.api}/tasks`, {
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
        const view = (await (await fetch(`${app.api}/tasks/${queued.id}`)).json()) as {
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
      headers: { "content-type": "application/json" },
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
});
