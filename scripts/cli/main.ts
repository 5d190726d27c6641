/**
 * `offload`: the command line for Offload's HTTP API (through lib/client), and `offload keys` to manage API keys
 * (scripts/cli/keys.ts). `offload --help` lists the commands; docs/polling.md documents them, output.ts the exit codes.
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { OffloadApiError, OffloadClient, OffloadTimeoutError, OffloadUploadError, type Task } from "../../lib/client/index.ts";
import { type ApiCredential, refusalMessage, resolveApiKey } from "./credentials.ts";
import { registerKeyCommands } from "./keys.ts";
import { CliError, ExitCode, exitCodeFor, printTask, progressReporter, UsageError } from "./output.ts";

const CONTENT_TYPES: Record<string, string> = {
  ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".gif": "image/gif",
  ".avif": "image/avif", ".tif": "image/tiff", ".tiff": "image/tiff", ".heic": "image/heic", ".heif": "image/heif",
};

interface Globals {
  api: string;
  apiKey?: string;
  json: boolean;
}

const program = new Command("offload")
  .description("Enqueue Offload tasks, follow them, and fetch their results.")
  .addOption(new Option("--api <url>", "the API's base URL").env("OFFLOAD_API_URL").default("http://127.0.0.1:3000"))
  .addOption(
    new Option("--api-key <key>", "the API key to send (default: the one `npm start` saved, for its own API only)").env(
      "OFFLOAD_API_KEY",
    ),
  )
  .option("--json", "print JSON (for scripts), no progress", false)
  .exitOverride();

const globals = () => program.opts<Globals>();
/** The key this run sends, found before any command runs (scripts/cli/credentials.ts says where it looks). */
let credential: ApiCredential | undefined;
program.hook("preAction", async () => {
  const flag = program.getOptionValueSource("apiKey") === "cli" ? globals().apiKey : undefined;
  credential = await resolveApiKey({ apiUrl: globals().api, flag });
});
const client = () => new OffloadClient({ baseUrl: globals().api, ...(credential ? { apiKey: credential.key } : {}) });

/** Waits for a task with a progress report, then downloads its files into `output` when it succeeded. */
async function follow(task: Task, options: { wait?: boolean; output?: string; singleFile?: boolean }): Promise<number> {
  if (!options.wait) {
    printTask(task, globals().json);
    return ExitCode.Ok;
  }
  const reporter = progressReporter({ quiet: globals().json });
  let done: Task;
  try {
    done = await client().waitUntilDone(task.id, { onChange: (t) => reporter.update(t) });
  } finally {
    reporter.stop();
  }
  if (done.status === "succeeded" && options.output !== undefined) {
    const files = await client().downloadResult(done.id);
    const written: string[] = [];
    for (const file of files) {
      const target = await outputPath(options.output, file.name, options.singleFile === true && files.length === 1);
      await writeFile(target, file.bytes);
      written.push(target);
    }
    if (globals().json) process.stdout.write(`${JSON.stringify({ ...done, files: written }, null, 2)}\n`);
    else {
      printTask(done, false);
      for (const path of written) process.stdout.write(`${path}\n`);
    }
  } else {
    printTask(done, globals().json);
  }
  return exitCodeFor(done);
}

/** `-o` names a file (single output, not an existing folder) or a folder to write every file into. */
async function outputPath(output: string, name: string, asFile: boolean): Promise<string> {
  const isDir = await stat(output).then((s) => s.isDirectory(), () => false);
  if (asFile && !isDir && (extname(output) !== "" || output.endsWith(".csv"))) return resolve(output);
  await mkdir(output, { recursive: true });
  return resolve(join(output, basename(name)));
}

function parseJsonOption(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new UsageError(`--input is not valid JSON: ${value}`);
  }
}

program
  .command("enqueue")
  .description("enqueue a task: `offload enqueue thumbnail --file photo.jpg --wait -o thumbs/`, `offload enqueue echo --input '{...}'`")
  .argument("<type>", "task type (echo, thumbnail, export, ...)")
  .option("--input <json>", "the task's input as JSON", parseJsonOption)
  .option("--file <path>", "thumbnail: upload this image and use it as the source")
  .option("--format <format>", "thumbnail: jpeg, webp or avif")
  .option("--wait", "wait until the task finishes, showing its progress", false)
  .option("-o, --output <path>", "with --wait: download the result files into this folder (or file)")
  .action(async (type: string, options: { input?: unknown; file?: string; format?: string; wait: boolean; output?: string }) => {
    const input: Record<string, unknown> = { ...(options.input as Record<string, unknown> | undefined) };
    if (options.file) {
      const extension = extname(options.file).toLowerCase();
      const contentType = CONTENT_TYPES[extension];
      if (!contentType) throw new UsageError(`--file must be an image (${Object.keys(CONTENT_TYPES).join(" ")}); got ${options.file}`);
      const bytes = await readFile(options.file).catch(() => {
        throw new UsageError(`cannot read --file ${options.file}`);
      });
      const upload = await client().uploadImage(bytes, { contentType, filename: basename(options.file) });
      input.source = upload.key;
    }
    if (options.format) input.format = options.format;
    const task = await client().enqueue(type as "echo", input as never);
    if (!globals().json && options.wait) process.stderr.write(`enqueued ${task.id} (${type})\n`);
    process.exitCode = await follow(task, { wait: options.wait, ...(options.output ? { output: options.output } : {}) });
  });

program
  .command("export")
  .description("export a dataset: `offload export orders --columns orderId,total --wait -o out.csv`")
  .argument("<dataset>", "an allow-listed dataset id, e.g. orders")
  .option("--columns <list>", "comma-separated columns, in order")
  .addOption(new Option("--format <format>", "file format").choices(["csv", "jsonl"]))
  .option("--gzip", "gzip the file")
  .option("--wait", "wait until the export finishes, showing its progress", false)
  .option("-o, --output <path>", "with --wait: write the file here (a file name or a folder)")
  .action(async (dataset: string, options: { columns?: string; format?: "csv" | "jsonl"; gzip?: boolean; wait: boolean; output?: string }) => {
    const task = await client().enqueue("export", {
      dataset,
      ...(options.columns ? { columns: options.columns.split(",").map((c) => c.trim()).filter(Boolean) } : {}),
      ...(options.format ? { format: options.format } : {}),
      ...(options.gzip ? { gzip: true } : {}),
    });
    if (!globals().json && options.wait) process.stderr.write(`enqueued ${task.id} (export ${dataset})\n`);
    process.exitCode = await follow(task, { wait: options.wait, singleFile: true, ...(options.output ? { output: options.output } : {}) });
  });

program
  .command("status")
  .description("show a task (exit code: 0 succeeded or still live, 1 failed, 3 cancelled)")
  .argument("<id>")
  .option("--wait", "wait until it finishes, showing its progress", false)
  .option("-o, --output <path>", "with --wait: download the result files into this folder (or file)")
  .action(async (id: string, options: { wait: boolean; output?: string }) => {
    const task = await client().get(id);
    if (options.wait) {
      process.exitCode = await follow(task, { wait: true, singleFile: true, ...(options.output ? { output: options.output } : {}) });
      return;
    }
    printTask(task, globals().json);
    process.exitCode = exitCodeFor(task);
  });

program
  .command("events")
  .description("show a task's history, oldest first")
  .argument("<id>")
  .action(async (id: string) => {
    const events = await client().events(id);
    if (globals().json) return void process.stdout.write(`${JSON.stringify(events, null, 2)}\n`);
    if (events.length === 0) process.stdout.write("(no events recorded)\n");
    for (const e of events) {
      const error = e.error ? ` [${e.error.code}: ${e.error.message}]` : "";
      process.stdout.write(`${e.at}  ${e.from ?? "-"} → ${e.to}  attempt ${e.attempt}${e.note ? `  ${e.note}` : ""}${error}\n`);
    }
  });

program
  .command("list")
  .description("list tasks, newest first")
  .option("--status <status>", "only this status")
  .option("--type <type>", "only this type")
  .option("--limit <n>", "page size (1-100)", "20")
  .option("--cursor <cursor>", "continue after a previous page")
  .action(async (options: { status?: string; type?: string; limit: string; cursor?: string }) => {
    const page = await client().list({
      limit: Number(options.limit),
      ...(options.status ? { status: options.status as Task["status"] } : {}),
      ...(options.type ? { type: options.type } : {}),
      ...(options.cursor ? { cursor: options.cursor } : {}),
    });
    if (globals().json) return void process.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
    for (const task of page.tasks) printTask(task, false);
    if (page.nextCursor) process.stdout.write(`more: offload list --cursor ${page.nextCursor}\n`);
  });

program
  .command("cancel")
  .description("cancel a task that has not finished")
  .argument("<id>")
  .action(async (id: string) => printTask(await client().cancel(id), globals().json));

program
  .command("redrive")
  .description("run a failed task again (or every failed task with --all)")
  .argument("[id]")
  .option("--all", "every failed task")
  .option("--type <type>", "with --all: only this type")
  .action(async (id: string | undefined, options: { all?: boolean; type?: string }) => {
    if (options.all) {
      const result = await client().redriveAll(options.type ? { type: options.type } : {});
      if (globals().json) return void process.stdout.write(`${JSON.stringify(result)}\n`);
      return void process.stdout.write(`redriven: ${result.redriven}${result.ids.length ? ` (${result.ids.join(" ")})` : ""}\n`);
    }
    if (!id) throw new UsageError("give a task id, or --all");
    printTask(await client().redrive(id), globals().json);
  });

registerKeyCommands(program, () => globals().json);

/** One readable line per error, and an exit code that says what kind. */
function fail(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 || error.code === "commander.helpDisplayed" || error.code === "commander.version"
      ? ExitCode.Ok
      : ExitCode.Usage; // commander already printed the problem
  }
  if (error instanceof CliError) {
    process.stderr.write(`offload: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof OffloadApiError && (error.status === 401 || error.status === 403)) {
    process.stderr.write(`offload: ${refusalMessage(error.status, error, credential)}\n`);
    return ExitCode.Unauthorized;
  }
  if (error instanceof OffloadApiError) {
    process.stderr.write(`offload: ${error.message} (${error.code}, HTTP ${error.status})\n`);
    return ExitCode.ApiError;
  }
  // A refused upload names S3's status and code; it is not the API being unreachable.
  if (error instanceof OffloadTimeoutError || error instanceof OffloadUploadError) {
    process.stderr.write(`offload: ${error.message}\n`);
    return ExitCode.ApiError;
  }
  const message = error instanceof Error ? error.message : String(error);
  const unreachable = error instanceof TypeError && message === "fetch failed";
  process.stderr.write(
    unreachable
      ? `offload: cannot reach the API at ${globals().api}; is it running? (set --api or OFFLOAD_API_URL)\n`
      : `offload: ${message}\n`,
  );
  return ExitCode.ApiError;
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = fail(error);
}
