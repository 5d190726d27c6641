/**
 * A typed client for Offload's HTTP API: fetch only (Node ≥ 20, browsers, Deno), no AWS SDK.
 *
 *   const offload = new OffloadClient({ baseUrl: "http://127.0.0.1:3000", apiKey: process.env.OFFLOAD_API_KEY });
 *   const task = await offload.enqueue("export", { dataset: "orders" });
 *   const done = await offload.waitUntilDone(task.id, { onChange: (t) => console.log(t.progress?.percent) });
 */
import { OffloadApiError, OffloadTimeoutError, OffloadUploadError } from "./errors.ts";
import type {
  DownloadedFile,
  EnqueueOptions,
  ListOptions,
  Task,
  TaskEvent,
  TaskPage,
  TaskTypeName,
  TaskTypes,
  UploadedFile,
  WaitOptions,
} from "./types.ts";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

/** Whether a status is final (succeeded, failed or cancelled). */
export function isFinished(task: Pick<Task, "status">): boolean {
  return FINISHED.has(task.status);
}

export interface OffloadClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000` or the API Gateway URL. */
  readonly baseUrl: string;
  /**
   * An API key (`ofl_sk_…`), sent as `Authorization: Bearer …` with every API request (never to the presigned S3
   * URLs of uploads and downloads). Keep it out of browsers: give a page a task's `watchToken` instead.
   */
  readonly apiKey?: string | undefined;
  /** A watch token (`ofl_wt_…`, a task's `watchToken`): reads that one task only. Instead of `apiKey`. */
  readonly token?: string | undefined;
  /** Headers for every API request (e.g. authorisation in front of the API). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
}

/** One poll: the task, or `undefined` when it is unchanged since `etag` (304). */
export interface PollResult<T extends string = string> {
  readonly task: Task<T> | undefined;
  readonly etag: string | undefined;
}

export class OffloadClient {
  readonly baseUrl: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #fetch: typeof fetch;

  constructor(options: OffloadClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    if (options.apiKey && options.token) throw new TypeError("Give OffloadClient an apiKey or a token, not both.");
    const credential = options.apiKey || options.token;
    this.#headers = { ...options.headers, ...(credential ? { authorization: `Bearer ${credential}` } : {}) };
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** POST /tasks: records and queues a task; resolves with it (status queued, or scheduled). */
  enqueue<T extends TaskTypeName>(type: T, input: TaskTypes[T]["input"], options: EnqueueOptions = {}): Promise<Task<T>> {
    const { idempotencyKey, ...timing } = options;
    return this.#json("POST", "/tasks", {
      body: { type, input, ...timing },
      headers: idempotencyKey ? { "idempotency-key": idempotencyKey } : {},
    });
  }

  /** GET /tasks/{id}. */
  async get<T extends string = string>(id: string): Promise<Task<T>> {
    return this.#json("GET", `/tasks/${encodeURIComponent(id)}`);
  }

  /**
   * One (long) poll: GET /tasks/{id}?wait=N with If-None-Match. Resolves as soon as the task differs from `etag`,
   * or after `waitSeconds` with `task: undefined` if it did not change.
   */
  async poll<T extends string = string>(
    id: string,
    options: { etag?: string | undefined; waitSeconds?: number; signal?: AbortSignal } = {},
  ): Promise<PollResult<T>> {
    const wait = options.waitSeconds ?? 20;
    const response = await this.#request("GET", `/tasks/${encodeURIComponent(id)}${wait > 0 ? `?wait=${wait}` : ""}`, {
      headers: options.etag ? { "if-none-match": options.etag } : {},
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const etag = response.headers.get("etag") ?? undefined;
    if (response.status === 304) return { task: undefined, etag: etag ?? options.etag };
    return { task: (await response.json()) as Task<T>, etag };
  }

  /**
   * Resolves with the task once it has finished (succeeded, failed or cancelled; check `status`), long polling so
   * that each change is seen within a fraction of a second. `onChange` sees every version on the way.
   */
  async waitUntilDone<T extends string = string>(id: string, options: WaitOptions = {}): Promise<Task<T>> {
    const started = Date.now();
    let etag: string | undefined;
    let task: Task<T> | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      const remaining = options.timeoutMs === undefined ? Infinity : options.timeoutMs - (Date.now() - started);
      if (remaining <= 0) throw new OffloadTimeoutError(id, options.timeoutMs ?? 0);
      const waitSeconds = Math.max(1, Math.min(options.waitSeconds ?? 20, Math.ceil(remaining / 1000)));
      const polled = await this.poll<T>(id, { etag, waitSeconds, ...(options.signal ? { signal: options.signal } : {}) });
      etag = polled.etag;
      if (polled.task) {
        task = polled.task;
        options.onChange?.(task);
        if (isFinished(task)) return task;
      }
    }
  }

  /** GET /tasks: one page, newest first. */
  list(options: ListOptions = {}): Promise<TaskPage> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options)) if (value !== undefined) query.set(name, String(value));
    const suffix = query.size > 0 ? `?${query}` : "";
    return this.#json("GET", `/tasks${suffix}`);
  }

  /** Every task matching `options`, page after page. */
  async *listAll(options: Omit<ListOptions, "cursor"> = {}): AsyncGenerator<Task> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, ...(cursor ? { cursor } : {}) });
      yield* page.tasks;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** GET /tasks/{id}/events: the task's history, oldest first. */
  async events(id: string): Promise<TaskEvent[]> {
    const body = await this.#json<{ events: TaskEvent[] }>("GET", `/tasks/${encodeURIComponent(id)}/events`);
    return body.events;
  }

  /** POST /tasks/{id}/cancel. */
  cancel<T extends string = string>(id: string): Promise<Task<T>> {
    return this.#json("POST", `/tasks/${encodeURIComponent(id)}/cancel`);
  }

  /** POST /tasks/{id}/redrive: a failed task runs again with fresh attempts. */
  redrive<T extends string = string>(id: string): Promise<Task<T>> {
    return this.#json("POST", `/tasks/${encodeURIComponent(id)}/redrive`);
  }

  /** POST /tasks/redrive: every failed task (of `type`) runs again. */
  redriveAll(options: { type?: string } = {}): Promise<{ redriven: number; ids: string[] }> {
    return this.#json("POST", "/tasks/redrive", { body: options });
  }

  /**
   * POST /uploads, then the presigned PUT: the image lands under `uploads/`, ready for a thumbnail task. A PUT that
   * storage refuses, or that gets no answer, throws OffloadUploadError (with S3's HTTP status and error code).
   */
  async uploadImage(bytes: Uint8Array, options: { contentType: string; filename?: string }): Promise<UploadedFile> {
    const upload = await this.#json<{ key: string; upload: { url: string; method: string; headers: Record<string, string> } }>(
      "POST",
      "/uploads",
      { body: { contentType: options.contentType, bytes: bytes.byteLength, ...(options.filename ? { filename: options.filename } : {}) } },
    );
    const { "content-length": _length, ...headers } = upload.upload.headers; // fetch sets it from the body
    const response = await this.#fetch(upload.upload.url, {
      method: upload.upload.method,
      headers,
      body: bytes as Uint8Array<ArrayBuffer>,
    }).catch((error: unknown) => {
      const reason = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new OffloadUploadError(`The upload to ${new URL(upload.upload.url).origin} got no answer: ${reason}`, { cause: error });
    });
    if (!response.ok) throw await uploadRefusal(response);
    return { key: upload.key };
  }

  /** The download links of a succeeded task's output (GET /tasks/{id}/result): one file, or several. */
  async resultFiles(id: string): Promise<{ name: string; url: string }[]> {
    const response = await this.#request("GET", `/tasks/${encodeURIComponent(id)}/result`, { redirect: "manual" });
    if (response.status === 302) {
      const url = response.headers.get("location") ?? "";
      return [{ name: fileNameOf(url), url }];
    }
    const body = (await response.json()) as { files: { name: string; url: string }[] };
    return body.files.map((file) => ({ name: withExtension(file.name, file.url), url: file.url }));
  }

  /** Downloads every file of a succeeded task's output. */
  async downloadResult(id: string): Promise<DownloadedFile[]> {
    const files = await this.resultFiles(id);
    return Promise.all(
      files.map(async (file) => {
        const response = await this.#fetch(file.url);
        if (!response.ok) throw new OffloadApiError(response.status, "download_failed", `Downloading ${file.name} failed.`);
        return {
          name: file.name,
          contentType: response.headers.get("content-type"),
          bytes: new Uint8Array(await response.arrayBuffer()),
        };
      }),
    );
  }

  async #json<T>(method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<T> {
    const response = await this.#request(method, path, options);
    return (await response.json()) as T;
  }

  /** One API call; any status ≥ 400 becomes an OffloadApiError with the API's code and message. */
  async #request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; redirect?: "follow" | "manual" } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...this.#headers, ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const response = await this.#fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.redirect ? { redirect: options.redirect } : {}),
    });
    if (response.status >= 400) throw await apiError(response);
    return response;
  }
}

async function apiError(response: Response): Promise<OffloadApiError> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string; details?: unknown } };
    return new OffloadApiError(response.status, error.code, error.message, error.details);
  } catch {
    return new OffloadApiError(response.status, "http_error", `HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
}

/** Storage's refusal of an upload, with the code and message of S3's XML error (`<Error><Code>…</Code><Message>…`). */
async function uploadRefusal(response: Response): Promise<OffloadUploadError> {
  const text = await response.text().catch(() => "");
  const s3Code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const s3Message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  const what = [`HTTP ${response.status}`, s3Code, s3Message && `(${s3Message})`].filter(Boolean).join(" ");
  return new OffloadUploadError(`Storage refused the upload: ${what}.`, {
    status: response.status,
    ...(s3Code ? { s3Code } : {}),
  });
}

/** A file name from a URL's path (its last segment). */
function fileNameOf(url: string): string {
  try {
    const segment = new URL(url).pathname.split("/").pop();
    return decodeURIComponent(segment || "result");
  } catch {
    return "result";
  }
}

function withExtension(name: string, url: string): string {
  if (/\.[A-Za-z0-9]+$/.test(name)) return name;
  const extension = fileNameOf(url).match(/\.[A-Za-z0-9]+$/)?.[0] ?? "";
  return `${name}${extension}`;
}
