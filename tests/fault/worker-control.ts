/** Starts, SIGKILLs and restarts the fault suite's worker process (tests/fault/worker-process.ts). */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eventually } from "../support/wait.ts";
import type { WorkerReport } from "./worker-process.ts";

const SCRIPT = fileURLToPath(new URL("./worker-process.ts", import.meta.url));

export class WorkerControl {
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;
  /** Slow tasks running in the current process, as it reported them. */
  readonly slowRunning = new Set<string>();
  throttles = 0;
  starts = 0;
  kills = 0;
  /** Epoch ms of each SIGKILL. */
  readonly killedAt: number[] = [];
  /** Slow tasks that were running when a kill landed. */
  interrupted = 0;
  /** Warnings and errors the worker logged. */
  readonly logs: Extract<WorkerReport, { kind: "log" }>[] = [];
  #stderr = "";

  constructor(env: NodeJS.ProcessEnv) {
    this.#env = env;
  }

  /** Forks a new worker process and waits until its pollers and sweeper are running. */
  async start(): Promise<void> {
    let ready = false;
    const child = fork(SCRIPT, [], {
      execArgv: ["--import", "tsx"],
      env: this.#env,
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    child.stderr?.on("data", (chunk) => {
      this.#stderr = (this.#stderr + String(chunk)).slice(-20_000);
    });
    child.on("message", (message: WorkerReport) => {
      if (message.kind === "ready") ready = true;
      else if (message.kind === "throttled") this.throttles++;
      else if (message.kind === "log") this.logs.push(message);
      else if (message.kind === "slow-start") this.slowRunning.add(message.taskId);
      else if (message.kind === "slow-end") this.slowRunning.delete(message.taskId);
    });
    this.#child = child;
    this.starts++;
    await eventually(async () => ready || child.exitCode !== null, {
      what: "the worker process to start",
      timeoutMs: 30_000,
    });
    if (!ready) throw new Error(`The worker process exited (${child.exitCode}): ${this.#stderr}`);
  }

  /** SIGKILL: no clean-up, no outcome written, in-flight messages left invisible. Waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    this.interrupted += this.slowRunning.size;
    this.kills++;
    this.killedAt.push(Date.now());
    child.kill("SIGKILL");
    await exited;
    this.slowRunning.clear();
  }

  /** SIGTERM: the pollers stop after their current receive; used at the end of the test. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  stderr(): string {
    return this.#stderr;
  }
}
