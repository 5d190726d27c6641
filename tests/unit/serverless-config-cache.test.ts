/**
 * The cache key of `serverless print` (infra/serverless-config.ts): it must change with every input of the resolved
 * configuration, and only with those, or a start would run on a stale configuration (or never hit the cache).
 */
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configCacheKey } from "../../infra/serverless-config.ts";

let root: string;
/** `${name}`, a serverless.yml variable (a plain string with `${` reads as a template literal gone wrong). */
const variable = (name: string) => `$\{${name}}`;
const env = { FOO: "1", BAR: "2", UNRELATED: "x" };
const key = (changes: { stage?: string; region?: string; env?: Record<string, string | undefined> } = {}) =>
  configCacheKey({ root, stage: changes.stage ?? "local", region: changes.region ?? "us-east-1", env: changes.env ?? env });

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "offload-config-key-"));
  await mkdir(join(root, "infra", "serverless"), { recursive: true });
  await mkdir(join(root, "config"));
  await writeFile(
    join(root, "serverless.yml"),
    `service: s\ncustom:\n  a: ${variable("env:FOO, 'x'")}\n  b: ${variable("file(infra/serverless/b.js)")}\n` +
      `  c: ${variable("file(config/c.yml)")}\n`,
  );
  await writeFile(join(root, "infra", "serverless", "b.js"), "module.exports = () => process.env.BAR;\n");
  await writeFile(join(root, "infra", "resources.yml"), "Resources: {}\n");
  await writeFile(join(root, "config", "c.yml"), "c: 1\n");
  await writeFile(join(root, "package.json"), "{}\n");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("configCacheKey", () => {
  it("is the same for the same inputs, whatever the unrelated environment", () => {
    expect(key()).toMatch(/^[0-9a-f]{32}$/);
    expect(key({ env: { ...env, UNRELATED: "y", OFFLOAD_HTTP_PORT: "4000" } })).toBe(key());
  });

  it("changes with the stage, the region and every variable the configuration reads", () => {
    const before = key();
    expect(key({ stage: "test" })).not.toBe(before);
    expect(key({ region: "eu-west-1" })).not.toBe(before);
    expect(key({ env: { ...env, FOO: "2" } })).not.toBe(before); // ${env:FOO} in serverless.yml
    expect(key({ env: { ...env, FOO: undefined } })).not.toBe(before); // unset is not empty
    expect(key({ env: { ...env, FOO: "" } })).not.toBe(key({ env: { ...env, FOO: undefined } }));
    expect(key({ env: { ...env, BAR: "3" } })).not.toBe(before); // process.env.BAR in an infra resolver
    expect(key({ env: { ...env, SLS_DEPRECATION_DISABLE: "*" } })).not.toBe(before); // the framework's own
  });

  it("changes with serverless.yml, any file under infra/, a file serverless.yml names, and package.json", async () => {
    const edits: [string, string][] = [
      ["infra/resources.yml", "Resources: { X: {} }\n"],
      ["infra/new-file.yml", "new: true\n"],
      ["config/c.yml", "c: 2\n"],
      ["serverless.yml", "service: t\n"],
      ["package.json", '{"devDependencies":{"serverless-offline":"^15"}}\n'],
      ["package-lock.json", "{}\n"],
    ];
    const seen = new Set([key()]);
    for (const [file, content] of edits) {
      await writeFile(join(root, file), content);
      const changed = key();
      expect(seen.has(changed!), file).toBe(false);
      seen.add(changed);
    }
  });

  it("refuses to cache a configuration that reads AWS, SSM, S3, another stack or sls:instanceId", async () => {
    for (const name of ["ssm:/x", "aws:accountId", "sls:instanceId", "s3:b/k", "cf:stack.out"]) {
      await writeFile(join(root, "serverless.yml"), `service: s\ncustom:\n  a: ${variable(name)}\n`);
      expect(key(), name).toBeUndefined();
    }
  });
});
