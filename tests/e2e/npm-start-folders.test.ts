/**
 * `npm start`'s run folder (`.offline/<pid>`: serverless-offline's configuration and the bundles it runs) is removed on
 * every way out — Ctrl-C of the process group, SIGTERM to the start process or to npm alone, the HTTP API's process
 * dying — and a start removes the folders of starts that were killed outright, never one whose process is alive (a
 * parallel start).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OFFLINE_DIR } from "../../infra/serverless-config.ts";
import { type RunningApp, startApp } from "../support/app.ts";
import { eventually } from "../support/wait.ts";

const { AWS_ENDPOINT_URL: _ignored, OFFLOAD_API_KEY: _none, ...env } = process.env;
const cleanup: string[] = [];

afterAll(async () => {
  await Promise.all(cleanup.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** The run folder the start reported, e.g. `/…/.offline/12345`, and the pid of the start process it is named after. */
function runFolderOf(app: RunningApp): { folder: string; pid: number } {
  const match = /\[offload\] run folder \.offline\/(\d+) /.exec(app.output());
  if (!match) throw new Error(`npm start reported no run folder:\n${app.output()}`);
  return { folder: join(OFFLINE_DIR, match[1]!), pid: Number(match[1]) };
}

/** A pid no process has (one that just exited). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""]);
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

/** The pids of the processes in a process group (Linux: field 5 of /proc/<pid>/stat). */
async function groupMembers(pgid: number): Promise<{ pid: number; command: string }[]> {
  const members = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      members.push({ pid: Number(name), command: (await readFile(`/proc/${name}/cmdline`, "utf8")).replaceAll("\0", " ") });
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

async function groupGone(app: RunningApp) {
  await eventually(async () => (await groupMembers(app.process.pid!)).length === 0, {
    what: "every process of npm start to exit",
    timeoutMs: 20_000,
  });
}

describe("npm start's run folder", () => {
  it("removes stale folders at start, keeps a live process's, holds its own while running and removes it on Ctrl-C", async () => {
    const stale = join(OFFLINE_DIR, String(await deadPid()));
    const live = join(OFFLINE_DIR, String(process.pid)); // this test's process: alive, so not stale
    cleanup.push(stale, live);
    for (const folder of [stale, live]) {
      await mkdir(join(folder, "functions"), { recursive: true });
      await writeFile(join(folder, "functions", "enqueue.mjs"), "// a bundle of an earlier start\n");
    }

    const app = await startApp(env);
    const { folder, pid } = runFolderOf(app);
    cleanup.push(folder);
    try {
      expect(existsSync(stale)).toBe(false); // (this start, or a parallel one, removed it)
      expect(existsSync(join(live, "functions", "enqueue.mjs"))).toBe(true);
      expect(pid).not.toBe(app.process.pid); // npm's pid; the folder is the start process's
      expect(existsSync(join(folder, "serverless.json"))).toBe(true);
      expect(existsSync(join(folder, "functions", "enqueue.mjs"))).toBe(true);
      // serverless-offline schedules nothing: the sweeper runs once a minute, in the local worker process only.
      expect(app.output()).not.toContain("Scheduling [");
    } finally {
      await app.stop(); // Ctrl-C to the whole process group
    }
    expect(existsSync(folder)).toBe(false);
  });

  it("removes it when the start process alone gets SIGTERM, and stops everything it started", async () => {
    const app = await startApp(env);
    const { folder, pid } = runFolderOf(app);
    cleanup.push(folder);
    try {
      process.kill(pid, "SIGTERM");
      await groupGone(app);
      expect(existsSync(folder)).toBe(false);
    } finally {
      await app.stop();
    }
  });

  it("removes it when npm alone gets SIGTERM (npm does not pass it on): the start sees its parent gone", async () => {
    const app = await startApp(env);
    const { folder } = runFolderOf(app);
    cleanup.push(folder);
    try {
      process.kill(app.process.pid!, "SIGTERM");
      await groupGone(app);
      expect(existsSync(folder)).toBe(false);
    } finally {
      await app.stop();
    }
  });

  it("removes it when the HTTP API's process dies, and stops everything", async () => {
    const app = await startApp(env);
    const { folder } = runFolderOf(app);
    cleanup.push(folder);
    try {
      const offline = (await groupMembers(app.process.pid!)).find((member) => member.command.includes("offline start"));
      expect(offline).toBeDefined();
      process.kill(offline!.pid, "SIGKILL");
      await groupGone(app);
      expect(app.output()).toMatch(/the HTTP API \(serverless-offline\) exited \(SIGKILL\); stopping/);
      expect(existsSync(folder)).toBe(false);
    } finally {
      await app.stop();
    }
  });
});
