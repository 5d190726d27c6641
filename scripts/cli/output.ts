/** How the CLI talks: a live progress bar on a TTY, one line per change otherwise, `--json` for scripts. */
import cliProgress from "cli-progress";
import type { Task } from "../../lib/client/index.ts";

/** Exit codes (documented in docs/polling.md). */
export const ExitCode = {
  Ok: 0,
  TaskFailed: 1,
  /** Unknown command or option, a bad value (`--input` JSON, `--file`, `--scopes`, `--expires-in`, a key prefix). */
  Usage: 2,
  TaskCancelled: 3,
  /** The API (or, for `offload keys`, DynamoDB) refused the request, could not be reached, or lacks the table. */
  ApiError: 4,
  /**
   * Not authorised: the API answered 401 or 403 (no API key, an unknown, revoked or expired one, or one without the
   * scope), or, for `offload keys`, AWS refused or found no credentials.
   */
  Unauthorized: 5,
} as const;

/** A failure the CLI reports in one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

export function exitCodeFor(task: Pick<Task, "status">): number {
  if (task.status === "failed") return ExitCode.TaskFailed;
  if (task.status === "cancelled") return ExitCode.TaskCancelled;
  return ExitCode.Ok;
}

export function describeProgress(task: Task): string {
  const parts: string[] = [task.status];
  const progress = task.progress;
  if (progress?.percent !== undefined) parts.push(`${Math.round(progress.percent)}%`);
  if (progress?.current !== undefined) parts.push(progress.total !== undefined ? `${progress.current}/${progress.total}` : `${progress.current}`);
  if (progress?.message) parts.push(`- ${progress.message}`);
  if (task.status === "retrying" && task.nextRunAt) parts.push(`(attempt ${task.attempt}/${task.maxAttempts} failed; next at ${task.nextRunAt})`);
  if (task.error && task.status !== "succeeded") parts.push(`[${task.error.code}: ${task.error.message}]`);
  return parts.join(" ");
}

/** Reports a waiting task's changes on stderr: a bar on a terminal, plain lines in pipes and logs. */
export function progressReporter(options: { quiet: boolean; stream?: NodeJS.WriteStream }) {
  const stream = options.stream ?? process.stderr;
  if (options.quiet) return { update: (_task: Task) => {}, stop: () => {} };
  if (!stream.isTTY) {
    let last = "";
    return {
      update(task: Task) {
        const line = describeProgress(task);
        if (line !== last) stream.write(`${task.id} ${line}\n`);
        last = line;
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: " {bar} {percentage}% | {status} {detail}", hideCursor: true, clearOnComplete: false, stream },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(task: Task) {
      const percent = task.status === "succeeded" ? 100 : Math.round(task.progress?.percent ?? 0);
      const payload = { status: task.status, detail: task.progress?.message ?? "" };
      if (!started) bar.start(100, percent, payload);
      else bar.update(percent, payload);
      started = true;
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

export function printTask(task: Task, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${task.id}  ${task.type}  ${describeProgress(task)}\n`);
}
