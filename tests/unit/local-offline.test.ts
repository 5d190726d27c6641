/**
 * What `npm start` hands serverless-offline (infra/local-offline.ts): the resolved configuration with HTTP events only
 * (the sweeper runs once a minute, in the local worker process, not a second time on serverless-offline's schedule),
 * and bundles that load as the ESM that ships.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { bundleFunctions, literalEnvironment, offlineConfig } from "../../infra/local-offline.ts";
import { PROJECT_ROOT, type ServerlessConfig } from "../../infra/serverless-config.ts";

const config = JSON.parse(inject("serverlessConfig")) as ServerlessConfig;
type Fn = { handler: string; events: Record<string, unknown>[] };

describe("offlineConfig", () => {
  const offline = offlineConfig(config, "/run/folder") as {
    plugins: string[];
    functions: Record<string, Fn>;
    custom: Record<string, any>;
    package?: Record<string, unknown>;
  };

  it("loads serverless-offline only: no bundling by serverless-esbuild, no npm install", () => {
    expect(offline.plugins).toEqual(["serverless-offline"]);
    expect(offline.custom.esbuild).toBeUndefined();
    expect(offline.package?.artifactsS3KeyDirname).toBeUndefined();
    expect(offline.custom["serverless-offline"]).toMatchObject({ location: "/run/folder", noPrependStageInUrl: true });
  });

  it("serves the HTTP routes and schedules nothing: the sweeper runs in the local worker process only", () => {
    expect(config.functions.sweeper?.events).toContainEqual({ schedule: expect.anything() });
    const events = Object.values(offline.functions).flatMap((fn) => fn.events.flatMap((event) => Object.keys(event)));
    expect(new Set(events)).toEqual(new Set(["httpApi"]));
    expect(offline.functions.sweeper?.events).toEqual([]);
    const routes = (fns: Record<string, { events?: unknown[] }>) =>
      Object.values(fns).flatMap((fn) => (fn.events ?? []).filter((event) => "httpApi" in (event as object)));
    expect(routes(offline.functions)).toEqual(routes(config.functions));
  });

  it("leaves the configuration it was given alone", () => {
    expect(config.functions.sweeper?.events?.length).toBe(1);
    expect((config as unknown as { plugins: string[] }).plugins).toContain("serverless-esbuild");
  });
});

describe("literalEnvironment", () => {
  it("is provider.environment as strings", () => {
    expect(literalEnvironment(config)).toMatchObject({ TASKS_TABLE: "offload-test-tasks", HEARTBEAT_SECONDS: "1" });
  });

  it("refuses a CloudFormation function, which serverless-offline would pass on as [object Object]", () => {
    const withRef = { ...config, provider: { ...config.provider, environment: { QUEUE: { Ref: "TaskQueue" } } } };
    expect(() => literalEnvironment(withRef)).toThrow(/QUEUE.*literal/);
  });
});

describe("bundleFunctions", () => {
  let out: string;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), "offload-bundles-"));
    await bundleFunctions(config, { projectRoot: PROJECT_ROOT, outDir: out });
  }, 60_000);
  afterAll(async () => {
    await rm(out, { recursive: true, force: true });
  });

  it("bundles every function's module where its handler names it, with shared chunks beside them", async () => {
    const files = await readdir(join(out, "functions"));
    for (const fn of Object.values(config.functions)) {
      const module = fn.handler.slice("functions/".length, fn.handler.lastIndexOf("."));
      expect(files).toContain(`${module}.mjs`);
    }
    expect(files).toContain("chunks");
  });

  it("makes bundles that Node loads as ES modules and that answer like the handlers", async () => {
    const { handler } = (await import(pathToFileURL(join(out, "functions", "dashboard.mjs")).href)) as {
      handler: () => Promise<{ statusCode: number; body: string }>;
    };
    const answer = await handler();
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toContain("<html");
  });
});

describe("bundleFunctions with a cache", () => {
  let root: string;
  const tiny = {
    ...config,
    functions: { a: { handler: "functions/a.handler" }, b: { handler: "functions/b.one" } },
  } as unknown as ServerlessConfig;
  const bundle = (run: string) =>
    bundleFunctions(tiny, { projectRoot: root, outDir: join(root, run), cacheDir: join(root, "cache") });
  const answer = async (run: string) =>
    (await import(`${pathToFileURL(join(root, run, "functions", "a.mjs")).href}?${run}`)).handler() as Promise<string>;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "offload-bundle-cache-"));
    await mkdir(join(root, "functions"));
    await mkdir(join(root, "lib"));
    await writeFile(join(root, "functions", "a.ts"), 'import { word } from "../lib/word.ts";\nexport const handler = async () => word;\n');
    await writeFile(join(root, "functions", "b.ts"), 'import { word } from "../lib/word.ts";\nexport const one = () => word;\n');
    await writeFile(join(root, "lib", "word.ts"), 'export const word: string = "first";\n');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("builds once, then gives each start links of its own to the same bundles while no input changes", async () => {
    expect(await bundle("run1")).toEqual({ cached: false });
    expect(await bundle("run2")).toEqual({ cached: true });
    const [first, second] = await Promise.all(["run1", "run2"].map((run) => stat(join(root, run, "functions", "a.mjs"))));
    expect(second!.ino).toBe(first!.ino); // links, not copies
    expect(await answer("run2")).toBe("first");
    await rm(join(root, "run1"), { recursive: true }); // a start that stopped: the others keep theirs
    expect(await readFile(join(root, "run2", "functions", "b.mjs"), "utf8")).toContain("one");
  });

  it("builds again when a file the bundles were built from changes, even one no function names", async () => {
    await writeFile(join(root, "lib", "word.ts"), 'export const word: string = "second";\n');
    expect(await bundle("run3")).toEqual({ cached: false });
    expect(await answer("run3")).toBe("second");
    expect(await answer("run2")).toBe("first"); // a running start's bundles are its own
    expect(await bundle("run4")).toEqual({ cached: true });
    expect(await answer("run4")).toBe("second");
  });

  it("keeps the bundles of earlier sources too: switching back to them builds nothing", async () => {
    await writeFile(join(root, "lib", "word.ts"), 'export const word: string = "first";\n');
    expect(await bundle("run5")).toEqual({ cached: true });
    expect(await answer("run5")).toBe("first");
  });
});
