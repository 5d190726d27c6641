/**
 * `serverless package` (offline, dummy credentials) must put sharp's native package for Lambda's platform into the
 * worker's zip: sharp is external to the esbuild bundle, and serverless-esbuild's npm packager installs it.
 * Packaging runs in a scratch copy of the project (sources copied, node_modules linked), so it cannot collide with
 * another test packaging the worktree itself. About 5–10 s.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_AWS_ENV, PROJECT_ROOT, serverlessBin } from "../../infra/serverless-config.ts";
import { zipEntries, type ZipEntry } from "../support/zip.ts";

const SOURCES = ["serverless.yml", "package.json", "package-lock.json", "tsconfig.json", "functions", "lib", "infra"];

let scratch: string;
let workerZip: ZipEntry[];
let workerBundle: string;
let routes: Record<string, string>;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "offload-package-"));
  const project = join(scratch, "project");
  for (const source of SOURCES) await cp(join(PROJECT_ROOT, source), join(project, source), { recursive: true });
  await symlink(join(PROJECT_ROOT, "node_modules"), join(project, "node_modules"), "dir");
  const out = join(scratch, "package");

  await promisify(execFile)(process.execPath, [serverlessBin(), "package", "--stage", "test", "--package", out], {
    cwd: project,
    env: { ...process.env, ...OFFLINE_AWS_ENV, SLS_TELEMETRY_DISABLED: "1" },
    maxBuffer: 16 << 20,
    timeout: 110_000,
  });

  const template = JSON.parse(await readFile(join(out, "cloudformation-template-update-stack.json"), "utf8")) as {
    Resources: Record<
      string,
      { Type: string; Properties: { Code?: { S3Key: string }; Architectures?: string[]; RouteKey?: string; Target?: unknown } }
    >;
  };
  routes = Object.fromEntries(
    Object.values(template.Resources)
      .filter((resource) => resource.Type === "AWS::ApiGatewayV2::Route")
      .map((resource) => [resource.Properties.RouteKey!, JSON.stringify(resource.Properties.Target)]),
  );
  const worker = template.Resources.WorkerLambdaFunction;
  expect(worker?.Properties.Architectures).toEqual(["x86_64"]);
  const zipName = worker!.Properties.Code!.S3Key.split("/").pop()!;
  workerZip = await zipEntries(join(out, zipName));
  workerBundle = workerZip.find((entry) => entry.name === "functions/worker.mjs")?.read().toString("utf8") ?? "";
}, 120_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function names(pattern: RegExp): string[] {
  return workerZip.filter((entry) => pattern.test(entry.name)).map((entry) => entry.name);
}

describe("serverless package: the uploads route", () => {
  it("routes POST /uploads to the uploads function", () => {
    expect(routes["POST /uploads"]).toContain("HttpApiIntegrationUploads");
  });
});

describe("serverless package: sharp in the worker zip", () => {
  it("contains the worker bundle", () => {
    expect(names(/^functions\/worker\.mjs$/)).toHaveLength(1);
  });

  it("contains sharp itself, installed by the packager rather than bundled", () => {
    expect(names(/^node_modules\/sharp\/package\.json$/)).toHaveLength(1);
    expect(names(/^node_modules\/sharp\/dist\/index\.mjs$/)).toHaveLength(1);
  });

  it("contains the native addon and libvips for linux-x64 (Lambda's x86_64), and no other platform's", () => {
    expect(names(/^node_modules\/@img\/sharp-linux-x64\/lib\/sharp-linux-x64-[\d.]+\.node$/)).toHaveLength(1);
    const libvips = workerZip.filter((entry) => /^node_modules\/@img\/sharp-libvips-linux-x64\/lib\/libvips-cpp\.so/.test(entry.name));
    expect(libvips).toHaveLength(1);
    expect(libvips[0]!.size).toBeGreaterThan(5_000_000);
    expect(names(/^node_modules\/@img\/sharp-(linux-arm64|linuxmusl|darwin|win32)/)).toEqual([]);
  });

  it("imports sharp at run time from node_modules (kept external), not from the bundle", () => {
    expect(workerBundle).toContain('import("sharp")');
    expect(workerBundle).not.toContain("sharp-linux-x64-");
  });
});
