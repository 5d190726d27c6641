/**
 * The README's examples, run exactly as written against a real `npm start`: every ```sh or ```console block is either
 * marked `<!-- readme-test: run … -->` and run here, or marked `<!-- readme-test: skip (reason) -->` (it needs AWS, Docker,
 * or is a long-running command). A ```console block runs its `$` lines (continuations included) one after the other in
 * one shell; a ```sh block runs whole. Only two things differ from what a reader does: the port (the test's stack
 * listens on a free one, so `127.0.0.1:3000` is rewritten) and where `OFFLOAD_API_KEY` comes from (the reader copies it
 * from npm start's banner; the test reads the same key from `.offload/local.json`).
 *
 * A block passes when its shell exits 0 and no output is an API error the README does not show (a 401 from a
 * forgotten key, a 400 from a stale example...); where the README shows an error, the same error code must come back.
 */
import { spawnSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../infra/serverless-config.ts";
import { largeJpeg } from "../support/images.ts";
import { type RunningApp, startApp } from "../support/app.ts";

interface Block {
  readonly line: number;
  readonly language: string;
  readonly marker: "run" | "skip" | undefined;
  readonly text: string;
}

function readmeBlocks(readme: string): Block[] {
  const lines = readme.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(sh|console)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    const previous = lines[i - 1] ?? "";
    const marker = /<!-- readme-test: (run|skip)\b/.exec(previous)?.[1] as Block["marker"];
    blocks.push({ line: i + 1, language: open[1]!, marker, text: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return blocks;
}

/** A console block's commands (the `$ ` lines and their `\` continuations) and the output the README shows after each. */
function consoleSteps(text: string): { command: string; shown: string }[] {
  const steps: { command: string; shown: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith("$ ")) continue;
    let command = lines[i]!.slice(2);
    while (command.endsWith("\\") && i + 1 < lines.length) command = `${command}\n${lines[++i]}`;
    const shown: string[] = [];
    while (i + 1 < lines.length && !lines[i + 1]!.startsWith("$ ")) shown.push(lines[++i]!);
    steps.push({ command, shown: shown.join("\n") });
  }
  return steps;
}

const errorCodes = (text: string) => [...text.matchAll(/"error":\s*\{\s*"code":\s*"([a-z_]+)"/g)].map((m) => m[1]);

let app: RunningApp;
let workdir: string;
let env: NodeJS.ProcessEnv;
const readme = await readFile(join(PROJECT_ROOT, "README.md"), "utf8");
const blocks = readmeBlocks(readme);

const STEP = "__readme_step_done__";

/** Runs `script` in bash (errors stop it), in the work folder, stdout and stderr together. */
function run(script: string): { status: number | null; output: string } {
  const rewritten = script.replaceAll("127.0.0.1:3000", new URL(app.api).host);
  const result = spawnSync("bash", ["-c", `exec 2>&1\nset -euo pipefail\n${rewritten}`], {
    cwd: workdir,
    env,
    encoding: "utf8",
    timeout: 150_000,
  });
  return { status: result.status, output: result.stdout };
}

/** Shell variables a block sets without asking the API anything: they stay set for later blocks, as in a terminal. */
function assignments(commands: readonly string[]): string {
  return commands
    .filter((command) => /^[A-Z_]+=/.test(command) && !command.includes("curl"))
    .map((command) => `${command}\n`)
    .join("");
}

beforeAll(async () => {
  app = await startApp({ ...process.env });
  // A folder inside the project, so that `npx offload` and `npm run` find the project as a reader's shell would.
  workdir = join(PROJECT_ROOT, "tests", ".artifacts", `readme-${process.pid}`);
  await rm(workdir, { recursive: true, force: true });
  await mkdir(workdir, { recursive: true });
  await writeFile(join(workdir, "photo.jpg"), await largeJpeg(4240, 2832, 92)); // 12 MP, as a phone takes them
  env = {
    ...process.env,
    OFFLOAD_API_KEY: app.apiKey,
    OFFLOAD_API_URL: app.api,
    OFFLOAD_STATE_DIR: app.stateDir,
    AWS_ENDPOINT_URL: app.awsEndpoint,
  };
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await rm(workdir, { recursive: true, force: true });
});

describe("README", () => {
  it("marks every shell example as run or skipped (with a reason)", () => {
    const unmarked = blocks.filter((block) => block.marker === undefined).map((block) => `README.md:${block.line}`);
    expect(unmarked).toEqual([]);
    expect(blocks.filter((block) => block.marker === "run").length).toBeGreaterThanOrEqual(4);
  });

  // In README order: later blocks use the variables earlier ones set, and the files they wrote.
  let carried = "";
  for (const block of blocks.filter((candidate) => candidate.marker === "run")) {
    it(`README.md:${block.line} runs as written`, () => {
      if (block.language === "console") {
        const steps = consoleSteps(block.text);
        const { status, output } = run(carried + steps.map((step) => `${step.command}\nprintf '\\n${STEP}\\n'\n`).join(""));
        const outputs = output.split(`\n${STEP}\n`);
        expect(status, `--- output ---\n${output}`).toBe(0);
        steps.forEach((step, index) => {
          const got = outputs[index] ?? "";
          expect(errorCodes(got), `$ ${step.command}\n--- output ---\n${got}`).toEqual(errorCodes(step.shown));
        });
        carried += assignments(steps.map((step) => step.command));
        return;
      }
      const { status, output } = run(carried + block.text);
      expect(status, `--- output ---\n${output}`).toBe(0);
      expect(errorCodes(output), `--- output ---\n${output}`).toEqual([]);
      carried += assignments(block.text.split("\n"));
    }, 180_000);
  }
});
