/** Throttled progress writes: at most one in flight and about one a second, whatever the handler's pace. */
import { TransitionConflictError } from "../domain/errors.ts";
import type { TaskProgress } from "../domain/task.ts";
import type { Logger } from "../logger.ts";

export const PROGRESS_INTERVAL_MS = 1_000;

export class ProgressReporter {
  readonly #write: (progress: TaskProgress) => Promise<void>;
  readonly #onLeaseLost: (error: TransitionConflictError) => void;
  readonly #logger: Logger;
  readonly #taskId: string;
  readonly #intervalMs: number;
  #lastWriteAt = 0;
  #pending: TaskProgress | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #closed = false;

  constructor(options: {
    write: (progress: TaskProgress) => Promise<void>;
    onLeaseLost: (error: TransitionConflictError) => void;
    logger: Logger;
    taskId: string;
    intervalMs?: number;
  }) {
    this.#write = options.write;
    this.#onLeaseLost = options.onLeaseLost;
    this.#logger = options.logger;
    this.#taskId = options.taskId;
    this.#intervalMs = options.intervalMs ?? PROGRESS_INTERVAL_MS;
  }

  /**
   * Records `progress` now if the last write is old enough, else keeps it for the next slot (replacing any
   * progress still waiting). Resolves once the write it triggered is done; never rejects.
   */
  report(progress: TaskProgress): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#pending = progress;
    const wait = this.#lastWriteAt + this.#intervalMs - Date.now();
    if (wait <= 0 && !this.#inFlight) return this.#flush();
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, Math.max(wait, 0));
    return Promise.resolve();
  }

  /** Stops writing: the attempt's outcome supersedes any progress still waiting. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
  }

  async #flush(): Promise<void> {
    const progress = this.#pending;
    if (!progress || this.#closed) return;
    if (this.#inFlight) {
      await this.#inFlight;
      return this.#flush();
    }
    this.#pending = undefined;
    this.#lastWriteAt = Date.now();
    this.#inFlight = this.#write(progress)
      .catch((error: unknown) => {
        if (error instanceof TransitionConflictError) {
          this.#closed = true;
          this.#onLeaseLost(error);
          return;
        }
        this.#logger.warn("progress write failed; continuing", { taskId: this.#taskId, error });
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }
}
