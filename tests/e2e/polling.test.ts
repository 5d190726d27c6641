/**
 * Polling end to end, on ONE `npm start` stack: the typed client, the `offload` binary (non-TTY output, exit codes)
 * and the dashboard page in headless Chromium (Debian's chromium + playwright-core).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import { OffloadApiError, OffloadClient, type Task } from "../../lib/client/index.ts";
import { type RunningApp, startApp } from "../support/app.ts";
import { largeJpeg } from "../support/images.ts";

let app: RunningApp;
let client: OffloadClient;
let work: string;

beforeAll(async () => {
  const { AWS_ENDPOINT_URL: _ignored, ...env } = process.env;
  app = await startApp(env);
  client = new OffloadClient({ baseUrl: app.api });
  work = await mkdtemp(join(tmpdir(), "offload-polling-"));
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

/** Runs the real binary as a user would (`npx offload`), without a TTY. */
async function offload(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, "bin/offload.js"), ...args], {
      cwd: work,
      env: { ...process.env, OFFLOAD_API_URL: app.api, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("client", () => {
  it("enqueues, waits with progress (long polling), lists and reads events", async () => {
    const task = await client.enqueue("echo", { message: "client", sleepMs: 1500, steps: 3 });
    expect(task.status).toBe("queued");
    const seen: string[] = [];
    const done = await client.waitUntilDone<"echo">(task.id, {
      onChange: (t) => seen.push(`${t.status}:${t.progress?.percent ?? "-"}`),
      timeoutMs: 30_000,
    });
    expect(done.status).toBe("succeeded");
    expect(done.result).toEqual({ message: "client", attempt: 1 });
    expect(seen.some((s) => s.startsWith("running:"))).toBe(true);
    // Long polling: only changes are reported, never the same version twice.
    expect(new Set(seen).size).toBe(seen.length);

    const page = await client.list({ type: "echo", limit: 5 });
    expect(page.tasks[0]?.id).toBe(task.id);
    expect(Array.isArray(await client.events(task.id))).toBe(true);
  });

  it("uploads an image, thumbnails it and downloads every rendition", async () => {
    const { key } = await client.uploadImage(await largeJpeg(1200, 800), { contentType: "image/jpeg", filename: "photo.jpg" });
    const task = await client.enqueue("thumbnail", { source: key });
    const done = await client.waitUntilDone<"thumbnail">(task.id, { timeoutMs: 30_000 });
    expect(done.status).toBe("succeeded");
    expect(done.result?.renditions.map((r) => r.name)).toEqual(["large", "medium", "small", "thumb"]);
    const files = await client.downloadResult(task.id);
    expect(files.map((f) => f.name).sort()).toEqual(["large.jpg", "medium.jpg", "small.jpg", "thumb.jpg"]);
    const thumb = await sharp(files.find((f) => f.name === "thumb.jpg")!.bytes).metadata();
    expect([thumb.width, thumb.height]).toEqual([150, 150]);
  });

  it("throws OffloadApiError with the API's code", async () => {
    const error = await client.enqueue("echo", { steps: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffloadApiError);
    expect((error as OffloadApiError).code).toBe("invalid_input");
    expect((error as OffloadApiError).status).toBe(400);
    await expect(client.get("01ARZ3NDEKTSV4RRFFQ69G5FAV")).rejects.toMatchObject({ status: 404, code: "not_found" });
  });
});

describe("offload CLI", () => {
  it("enqueue thumbnail --file --wait -o: uploads, reports progress as lines, downloads the renditions", async () => {
    await writeFile(join(work, "photo.jpg"), await largeJpeg(900, 600));
    const run = await offload(["enqueue", "thumbnail", "--file", "photo.jpg", "--wait", "-o", "thumbs"]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^enqueued [0-9A-Z]{26} \(thumbnail\)$/m);
    expect(run.stderr).toMatch(/ succeeded 100%/);
    expect(run.stderr.includes("\u001b[")).toBe(false); // no bar, no escape codes when not on a TTY
    expect((await readdir(join(work, "thumbs"))).sort()).toEqual(["large.jpg", "medium.jpg", "small.jpg", "thumb.jpg"]);
  });

  it("export --columns --wait -o out.csv writes the file (header-only for the empty demo table)", async () => {
    const run = await offload(["export", "orders", "--columns", "orderId,customerId", "--wait", "-o", "out.csv"]);
    expect(run.code).toBe(0);
    expect(await readFile(join(work, "out.csv"), "utf8")).toBe("orderId,customerId\r\n");
  });

  it("--json prints the task; a failed task exits 1, with its error", async () => {
    const run = await offload(["--json", "enqueue", "echo", "--input", '{"failPermanently":true}', "--wait"]);
    expect(run.code).toBe(1);
    const task = JSON.parse(run.stdout) as Task;
    expect(task.status).toBe("failed");
    expect(task.error?.retryable).toBe(false);
    const status = await offload(["status", task.id]);
    expect(status.code).toBe(1);
    expect(status.stdout).toContain(`${task.id}  echo  failed`);
  });

  it("list, events and status of a live task", async () => {
    const list = await offload(["--json", "list", "--type", "echo", "--limit", "2"]);
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout) as { tasks: Task[]; nextCursor: string | null };
    expect(page.tasks).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));
    const events = await offload(["events", page.tasks[0]!.id]);
    expect(events.code).toBe(0);
  });

  it("errors are one line with a meaningful exit code", async () => {
    const missing = await offload(["status", "01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/^offload: .*\(not_found, HTTP 404\)$/m);

    const usage = await offload(["enqueue"]);
    expect(usage.code).toBe(2);
    const badInput = await offload(["enqueue", "echo", "--input", "{nope"]);
    expect(badInput.code).toBe(2);
    expect(badInput.stderr).toContain("--input is not valid JSON");

    const down = await offload(["list"], { OFFLOAD_API_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(4);
    expect(down.stderr).toBe("offload: cannot reach the API at http://127.0.0.1:9; is it running? (set --api or OFFLOAD_API_URL)\n");
  });
});

describe("cancel and redrive, through the client, the CLI and the redrive script", () => {
  it("client: cancels a running task, whose events then end in cancelled", async () => {
    const task = await client.enqueue("echo", { sleepMs: 20_000, steps: 20 });
    await client.waitUntilDone(task.id, { timeoutMs: 2_000 }).catch(() => undefined); // let it start
    const cancelled = await client.cancel(task.id);
    expect(cancelled.status).toBe("cancelled");
    const error = await client.cancel(task.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffloadApiError);
    expect((error as OffloadApiError).code).toBe("task_finished");
    const events = await client.events(task.id);
    expect(events.at(-1)).toMatchObject({ to: "cancelled" });
  });

  it("CLI: cancel, then status exits 3 (cancelled)", async () => {
    const task = await client.enqueue("echo", { sleepMs: 20_000, steps: 20 }, { delaySeconds: 60 });
    expect(task.status).toBe("scheduled");
    expect((await offload(["cancel", task.id])).code).toBe(0);
    const status = await offload(["status", task.id]);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain("cancelled");
  });

  it("CLI and npm run redrive: a failed task runs again with a fresh budget, recorded in its events", async () => {
    const failed = await client.enqueue("echo", { failPermanently: true });
    expect((await client.waitUntilDone(failed.id, { timeoutMs: 20_000 })).status).toBe("failed");

    const viaCli = await offload(["redrive", failed.id]);
    expect(viaCli.code).toBe(0);
    expect((await client.waitUntilDone(failed.id, { timeoutMs: 20_000 })).status).toBe("failed");
    const { stdout } = await promisify(execFile)("npm", ["run", "--silent", "redrive", "--", "--id", failed.id, "--api", app.api], {
      cwd: PROJECT_ROOT,
    });
    expect(stdout).toContain(failed.id);
    const done = await client.waitUntilDone(failed.id, { timeoutMs: 20_000 });
    // Each redrive adds the type's budget (3) to the attempts made so far: 1 → max 4, then 2 → max 5.
    expect([done.attempt, done.maxAttempts]).toEqual([3, 5]);
    const notes = (await client.events(failed.id)).map((event) => event.note ?? "");
    expect(notes.filter((note) => note.startsWith("redriven"))).toHaveLength(2);
  });
});

describe("dashboard", () => {
  it("serves the page at /", async () => {
    const response = await fetch(`${app.api}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain('<label for="upload-file">');
  });

  it("uploads an image through the page, shows progress to done, and its rendition links download", async () => {
    expect(existsSync("/usr/bin/chromium"), "Debian's chromium is needed (.ci/run installs it)").toBe(true);
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const pageErrors: string[] = [];
      page.on("pageerror", (error) => pageErrors.push(error.message));
      await page.goto(`${app.api}/`);
      await page.getByLabel(/^Image/).setInputFiles({ name: "garden.jpg", mimeType: "image/jpeg", buffer: await largeJpeg(1000, 700) });
      await page.getByRole("button", { name: "Upload and create thumbnails" }).click();

      await page.locator("#detail-status").waitFor();
      await page.locator("#detail-status", { hasText: "succeeded" }).waitFor({ timeout: 30_000 });
      expect(await page.locator("#detail-progress").getAttribute("value")).toBe("100");
      const links = page.locator("#detail-files a");
      await expect.poll(() => links.count()).toBe(4);
      for (const href of await links.evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href))) {
        const response = await fetch(href);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("image/jpeg");
      }
      // The rendition previews actually loaded in the page.
      await expect.poll(() => page.locator("#detail-files img").evaluateAll((imgs) => imgs.every((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0))).toBe(true);
      // The task list shows it too, finished.
      await page.locator("#tasks tbody tr .status-succeeded").first().waitFor();

      const artifacts = join(PROJECT_ROOT, "tests/.artifacts");
      await mkdir(artifacts, { recursive: true });
      const screenshot = join(artifacts, "dashboard.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`dashboard screenshot: ${screenshot}`);
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
