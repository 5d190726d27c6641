/**
 * `npm start`'s run folders: each run keeps what it writes (serverless-offline's configuration) in `.offline/<pid>`, its
 * own, so that parallel runs (two stacks, parallel test files) never share or delete each other's. A run removes its
 * folder on every way out it can see (scripts/start.ts); one killed outright (kill -9, a power cut) cannot, so every
 * start first removes the folders of runs whose process is gone.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { OFFLINE_DIR, PROJECT_ROOT } from "../infra/serverless-config.ts";

/**
 * `.offline/<pid>` of `npm start`, and `.offline/package-<pid>` of the tests' `serverless package` runs
 * (tests/support/package.ts): folders owned by one process.
 */
const RUN_FOLDER = /^(?:package-)?([1-9]\d*)$/;

export function runFolder(pid = process.pid): string {
  return join(OFFLINE_DIR, String(pid));
}

/** Creates this process's run folder, empty (a folder left by an earlier process with the same pid is replaced). */
export function createRunFolder(pid = process.pid): string {
  const folder = runFolder(pid);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  return folder;
}

/** Removes this process's run folder; synchronous, so that it can run in an `exit` handler. */
export function removeRunFolder(pid = process.pid): void {
  rmSync(runFolder(pid), { recursive: true, force: true });
}

/** Removes the run folders of processes that no longer exist; returns them, relative to the project. */
export function removeStaleRunFolders(dir = OFFLINE_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no .offline yet
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = RUN_FOLDER.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(relative(PROJECT_ROOT, join(dir, name)));
  }
  return removed;
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
