/** Starts, SIGKILLs and restarts the fault suite's worker process (tests/fault/worker-process.ts). */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { eventually } from "../support/wait.ts";
import type { WorkerReport } from "./worker-process.ts";

const SCRIPT = fileURLToPath(new URL("./worker-process.ts", import.meta.url));

/** The slow tasks a SIGKILL found running: the batch whose recovery is timed. */
export interface KilledBatch {
  /** Epoch ms of the SIGKILL. */
  readonly at: number;
  /** Task id → the attempt the kill cut short. */
  readonly attempts: ReadonlyMap<string, number>;
}

export class WorkerControl {
  #env: NodeJS.ProcessEnv;
  #child: ChildProcess | undefined;
  /** Slow tasks running in the current process (task id → attempt), as it reported them. */
  readonly slowRunning = new Map<string, number>();
  /** One entry per SIGKILL. */
  readonly killedBatches: KilledBatch[] = [];
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

  /** Changes the environment of the processes started from now on. */
  setEnv(changes: NodeJS.ProcessEnv): void {
    this.#env = { ...this.#env, ...changes };
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
      else if (message.kind === "slow-start") this.slowRunning.set(message.taskId, message.attempt);
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
    const at = Date.now();
    this.killedAt.push(at);
    this.killedBatches.push({ at, attempts: new Map(this.slowRunning) });
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
