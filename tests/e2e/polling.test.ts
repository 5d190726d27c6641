/**
 * Polling end to end, on ONE `npm start` stack: the typed client, the `offload` binary (non-TTY output, exit codes,
 * `offload keys`) and the dashboard page in headless Chromium (Debian's chromium + playwright-core). Everything uses
 * the development API key the way a user would: the client is given it, the CLI and the redrive script find it in
 * `.offload/local.json`, the dashboard comes with it prefilled.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import { OffloadApiError, OffloadClient, OffloadUploadError, type Task } from "../../lib/client/index.ts";
import { type RunningApp, startApp } from "../support/app.ts";
import { cameraJpeg, largeJpeg } from "../support/images.ts";

let app: RunningApp;
let client: OffloadClient;
let work: string;

const { AWS_ENDPOINT_URL: _ignored, OFFLOAD_API_KEY: _none, ...parentEnv } = process.env;

beforeAll(async () => {
  app = await startApp(parentEnv);
  client = new OffloadClient({ baseUrl: app.api, apiKey: app.apiKey });
  work = await mkdtemp(join(tmpdir(), "offload-polling-"));
  // serverless-offline loads a function on its first call (seconds on a busy machine): load the authorizer and the
  // status function now, so that the first test's 1.5 s task is not over before its first poll is answered.
  await client.get("01ARZ3NDEKTSV4RRFFQ69G5FAV").catch(() => undefined);
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

/**
 * Runs the real binary as a user would (`npx offload`) after `npm start`, without a TTY: no key given, so it uses the
 * one saved in this run's `.offload/local.json`.
 */
async function offload(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, "bin/offload.js"), ...args], {
      cwd: work,
      env: { ...parentEnv, OFFLOAD_API_URL: app.api, OFFLOAD_STATE_DIR: app.stateDir, ...env },
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

  it("reports storage's refusal of an upload with S3's status and code (an upload URL whose signature is wrong)", async () => {
    const signingBug = new OffloadClient({ baseUrl: app.api, apiKey: app.apiKey, fetch: withTamperedSignatures });

    const error = await signingBug
      .uploadImage(await largeJpeg(300, 200), { contentType: "image/jpeg", filename: "photo.jpg" })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OffloadUploadError);
    expect(error).toMatchObject({ status: 403, s3Code: "SignatureDoesNotMatch" });
    expect((error as Error).message).toMatch(/^Storage refused the upload: HTTP 403 SignatureDoesNotMatch \(The request signature/);
  });

  it("throws OffloadApiError with the API's code", async () => {
    const error = await client.enqueue("echo", { steps: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OffloadApiError);
    expect((error as OffloadApiError).code).toBe("invalid_input");
    expect((error as OffloadApiError).status).toBe(400);
    await expect(client.get("01ARZ3NDEKTSV4RRFFQ69G5FAV")).rejects.toMatchObject({ status: 404, code: "not_found" });
  });
});

/** Changes the first digit of every presigned URL's signature in `text`: a signing bug, as S3 would see it. */
const tamperSignatures = (text: string) =>
  text.replace(/X-Amz-Signature=([0-9a-f])/g, (_, digit: string) => `X-Amz-Signature=${digit === "0" ? "1" : "0"}`);

/** fetch, but every presigned URL goes out with a wrong signature. */
const withTamperedSignatures: typeof fetch = (input, init) =>
  fetch(tamperSignatures(input instanceof Request ? input.url : String(input)), init);

/** A proxy in front of the API whose answers carry presigned URLs with wrong signatures (for the CLI). */
async function tamperingProxy(api: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => ["authorization", "content-type", "accept"].includes(name)),
    ) as Record<string, string>;
    const upstream = await fetch(`${api}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      redirect: "manual",
    });
    const body = tamperSignatures(await upstream.text());
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

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

  it("enqueue thumbnail --file takes a 16 MB phone photo (over the 11 MiB fauxqs alone would take)", async () => {
    const photo = await cameraJpeg(4624, 3468);
    expect(photo.length).toBeGreaterThan(11 * 1024 * 1024);
    await writeFile(join(work, "phone.jpg"), photo);

    const run = await offload(["--json", "enqueue", "thumbnail", "--file", "phone.jpg", "--wait"]);

    expect(run.code, run.stderr).toBe(0);
    const task = JSON.parse(run.stdout) as Task<"thumbnail">;
    expect(task.status).toBe("succeeded");
    expect(task.result?.source).toMatchObject({ width: 4624, height: 3468 });
  });

  it("a refused upload exits 4 naming S3's status and code, not an unreachable API", async () => {
    await writeFile(join(work, "small.jpg"), await largeJpeg(300, 200));
    const proxy = await tamperingProxy(app.api);
    try {
      const run = await offload(["enqueue", "thumbnail", "--file", "small.jpg"], {
        OFFLOAD_API_URL: proxy.url,
        OFFLOAD_API_KEY: app.apiKey,
      });

      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/^offload: Storage refused the upload: HTTP 403 SignatureDoesNotMatch \(.*\)\.\n$/);
    } finally {
      await proxy.close();
    }
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

  it("sends the saved key only to the API it was saved for; a refused key exits 5 with one line saying why", async () => {
    // The same server under another URL is not the saved API: no key goes there.
    const elsewhere = await offload(["list"], { OFFLOAD_API_URL: app.api.replace("127.0.0.1", "localhost") });
    expect(elsewhere.code).toBe(5);
    expect(elsewhere.stderr).toMatch(/^offload: the API needs an API key: .*\(unauthorized, HTTP 401\)\. Pass --api-key or set OFFLOAD_API_KEY/);
    expect(elsewhere.stderr.trim().split("\n")).toHaveLength(1);

    const unknown = `ofl_sk_aaaaaaaa_${"a".repeat(43)}`;
    const viaFlag = await offload(["--api-key", unknown, "list"]);
    expect(viaFlag.code).toBe(5);
    expect(viaFlag.stderr).toBe("offload: the API key from --api-key (ofl_sk_aaaaaaaa_…) was refused: Unknown API key. (unauthorized, HTTP 401)\n");
    const viaEnv = await offload(["list"], { OFFLOAD_API_KEY: unknown });
    expect(viaEnv.code).toBe(5);
    expect(viaEnv.stderr).toContain("the API key from OFFLOAD_API_KEY (ofl_sk_aaaaaaaa_…) was refused");
    expect(viaEnv.stderr).not.toContain("a".repeat(43));
  });
});

describe("offload keys --stage local, against the running stack", () => {
  const keys = (args: string[], env: Record<string, string> = {}) =>
    offload(["keys", ...args, "--stage", "local"], { AWS_ENDPOINT_URL: app.awsEndpoint, ...env });

  it("create prints the key once; list shows its prefix, never the key or its hash; revoke makes the API refuse it at once", async () => {
    const created = await keys(["create", "--tenant", "acme", "--name", "e2e", "--scopes", "tasks:read,tasks:write", "--json"]);
    expect(created.code).toBe(0);
    const { key, prefix, tenant, scopes } = JSON.parse(created.stdout) as { key: string; prefix: string; tenant: string; scopes: string[] };
    expect(key).toMatch(new RegExp(`^ofl_sk_${prefix}_[A-Za-z0-9_-]{43}$`));
    expect([tenant, scopes]).toEqual(["acme", ["tasks:read", "tasks:write"]]);
    const acme = new OffloadClient({ baseUrl: app.api, apiKey: key });
    const task = await acme.enqueue("echo", { message: "acme" });
    // Tenants are apart: the development key (tenant dev) does not see acme's task.
    await expect(client.get(task.id)).rejects.toMatchObject({ status: 404 });

    const human = await keys(["create", "--tenant", "acme"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ {2}ofl_sk_[a-km-z2-9]{8}_[A-Za-z0-9_-]{43}$/m);
    expect(human.stdout).toMatch(/^ {2}scopes {3}tasks:read tasks:write$/m);
    expect(human.stdout).toMatch(/^ {2}expires {2}never$/m);

    const secret = key.slice(`ofl_sk_${prefix}_`.length);
    const hash = createHash("sha256").update(key).digest("hex");
    const list = await keys(["list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${prefix} +acme +tasks:read,tasks:write +e2e `, "m"));
    expect(list.stdout).toContain(app.apiKey.slice(7, 15)); // the development key's prefix
    const listJson = await keys(["list", "--tenant", "acme", "--json"]);
    expect(listJson.code).toBe(0);
    const listed = JSON.parse(listJson.stdout) as Record<string, unknown>[];
    expect(listed.map((k) => k.prefix)).toContain(prefix);
    expect(listed.every((k) => k.tenant === "acme" && !("hash" in k) && !("key" in k))).toBe(true);
    for (const output of [list.stdout, listJson.stdout]) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(hash);
    }

    const revoked = await keys(["revoke", key]); // the whole key is accepted too
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^revoked ${prefix} \\(tenant acme, e2e\\) at `));
    // serverless-offline caches no authorizer verdict: the next request is refused.
    await expect(acme.get(task.id)).rejects.toMatchObject({ status: 401, code: "unauthorized", message: "This API key was revoked." });
    const refused = await offload(["status", task.id], { OFFLOAD_API_KEY: key });
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain("was refused: This API key was revoked. (unauthorized, HTTP 401)");
    const listedAfter = JSON.parse((await keys(["list", "--tenant", "acme", "--json"])).stdout) as { prefix: string; revokedAt: string | null }[];
    expect(listedAfter.find((k) => k.prefix === prefix)?.revokedAt).toEqual(expect.any(String));
  });

  it("usage errors exit 2; an unknown prefix, a missing table or no answer exit 4, each in one line", async () => {
    expect((await keys(["create"])).code).toBe(2); // no --tenant
    const badScope = await keys(["create", "--tenant", "acme", "--scopes", "tasks:fly"]);
    expect([badScope.code, badScope.stderr]).toEqual([2, 'offload: --scopes takes a comma-separated list of tasks:write, tasks:read, admin; got "tasks:fly"\n']);
    expect((await keys(["create", "--tenant", "Not A Tenant"])).code).toBe(2);
    expect((await keys(["create", "--tenant", "acme", "--expires-in", "soon"])).code).toBe(2);
    expect((await keys(["revoke", "nope"])).code).toBe(2);

    const unknown = await keys(["revoke", "zzzzzzzz"]);
    expect([unknown.code, unknown.stderr]).toEqual([4, "offload: no API key with prefix zzzzzzzz in offload-local-api-keys\n"]);
    const noTable = await offload(["keys", "list", "--stage", "staging"], {
      AWS_ENDPOINT_URL: app.awsEndpoint,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    expect(noTable.code).toBe(4);
    expect(noTable.stderr).toMatch(/^offload: the table offload-staging-api-keys does not exist at /);
    const down = await keys(["list"], { AWS_ENDPOINT_URL: "http://127.0.0.1:9" });
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(/^offload: cannot reach DynamoDB at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\); is `npm start` running\?/);
    expect(down.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("cancel and redrive, through the client, the CLI and the redrive script", () => {
  it("client: cancels a running task, whose events then end in cancelled", async () => {
    // A minute of work: the cancel lands long before the end even when a loaded machine makes the API slow.
    const task = await client.enqueue("echo", { sleepMs: 60_000, steps: 60 });
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
    expect(viaCli).toMatchObject({ code: 0, stderr: "" });
    expect((await client.waitUntilDone(failed.id, { timeoutMs: 20_000 })).status).toBe("failed");
    // Like the CLI, the script finds the development key in .offload/local.json.
    const { stdout } = await promisify(execFile)("npm", ["run", "--silent", "redrive", "--", "--id", failed.id, "--api", app.api], {
      cwd: PROJECT_ROOT,
      env: { ...parentEnv, OFFLOAD_STATE_DIR: app.stateDir },
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
  it("serves the page at / without a key, its key form prefilled with the development key (locally only), never cached", async () => {
    const response = await fetch(`${app.api}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const html = await response.text();
    expect(html).toContain('<label for="upload-file">');
    expect(html).toContain(`id="key-input" name="key" type="password" autocomplete="off" spellcheck="false" required value="${app.apiKey}"`);
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
      // The key form comes first, filled in with the development key; the rest appears once a key is in use.
      expect(await page.getByRole("textbox", { name: "API key" }).inputValue()).toBe(app.apiKey);
      expect(await page.locator("#app").isHidden()).toBe(true);
      await page.getByRole("button", { name: "Use this key" }).click();
      await page.getByLabel(/^Image/).setInputFiles({ name: "garden.jpg", mimeType: "image/jpeg", buffer: await largeJpeg(1000, 700) });
      await page.getByRole("button", { name: "Upload and create thumbnails" }).click();

      await page.locator("#detail-status").waitFor();
      await page.locator("#detail-status", { hasText: "succeeded" }).waitFor({ timeout: 30_000 });
      expect(await page.locator("#detail-progress").getAttribute("value")).toBe("100");
      const links = page.locator("#detail-files a");
      await expect.poll(() => links.count()).toBe(4);
      // Links and previews carry the task's watch token (read access to that task only), never the API key.
      const hrefs = await links.evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
      const srcs = await page.locator("#detail-files img").evaluateAll((imgs) => imgs.map((i) => (i as unknown as { src: string }).src));
      expect(srcs.sort()).toEqual([...hrefs].sort());
      for (const href of hrefs) {
        const url = new URL(href);
        expect(url.pathname).toMatch(/^\/tasks\/[0-9A-Z]{26}\/result$/);
        expect(url.searchParams.get("token")).toMatch(/^ofl_wt_/);
        expect(["large", "medium", "small", "thumb"]).toContain(url.searchParams.get("file"));
        expect(href).not.toContain("ofl_sk_");
        const response = await fetch(href); // no header: the token alone opens it
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("image/jpeg");
      }
      // The rendition previews actually loaded in the page.
      // (Each goes through the authorizer and the result function, which serverless-offline may still be loading.)
      await expect
        .poll(() => page.locator("#detail-files img").evaluateAll((imgs) => imgs.every((i) => (i as unknown as { naturalWidth: number }).naturalWidth > 0)), { timeout: 15_000 })
        .toBe(true);
      // The task list shows it too, finished.
      await page.locator("#tasks tbody tr .status-succeeded").first().waitFor();
      // The key lives in this tab's sessionStorage only: not in localStorage, not in the address.
      const storage = await page.evaluate(() => {
        type Store = { getItem(name: string): string | null; length: number };
        const w = globalThis as unknown as { sessionStorage: Store; localStorage: Store; location: { href: string } };
        return { session: w.sessionStorage.getItem("offload.apiKey"), local: w.localStorage.length, url: w.location.href };
      });
      expect(storage).toEqual({ session: app.apiKey, local: 0, url: `${app.api}/` });

      const artifacts = join(PROJECT_ROOT, "tests/.artifacts");
      await mkdir(artifacts, { recursive: true });
      const screenshot = join(artifacts, "dashboard.png");
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`dashboard screenshot: ${screenshot}`);

      // "Forget key" asks again; a refused key (401) brings the form back with the API's reason.
      await page.getByRole("button", { name: "Forget key" }).click();
      await page.locator("#key-card").waitFor();
      expect(await page.locator("#app").isHidden()).toBe(true);
      expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
      await page.getByRole("textbox", { name: "API key" }).fill(`ofl_sk_aaaaaaaa_${"a".repeat(43)}`);
      await page.getByRole("button", { name: "Use this key" }).click();
      await page.getByRole("alert").filter({ hasText: "The API refused this key: Unknown API key. (unauthorized)" }).waitFor();
      expect(await page.locator("#app").isHidden()).toBe(true);
      expect(await page.getByRole("textbox", { name: "API key" }).inputValue()).toBe(app.apiKey); // the form is back, prefilled
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
