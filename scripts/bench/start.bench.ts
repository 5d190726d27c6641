/**
 * `npm run bench start`: how long `npm start` takes to answer, cold and warm, and their ratio.
 *   - cold: the first start after serverless.yml, infra/ or the functions' code changed (or in a fresh clone): the
 *     cache `.offline/cache` is emptied first, so the start runs `serverless print` and bundles the functions.
 *   - warm: the next start, with nothing changed: both come from the cache.
 * Each round (START_BENCH_ROUNDS or --rounds, default 3) runs a cold start, then a warm one, each on free ports, all
 * with one state folder (the development key is restored, as on a user's restart). A start's time runs from spawning
 * `npm start` to its "Offload is running" banner; its first API answer after that (GET /tasks: the authorizer and the
 * list function load on their first call) is timed too. Prints medians and the warm/cold ratio, and the load average:
 * no threshold, since these machines are shared and noisy.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { CACHE_DIR } from "../../infra/serverless-config.ts";
import { startApp } from "../../tests/support/app.ts";
import type { BenchCase } from "../bench.ts";

interface StartFigures {
  readonly readyMs: number;
  readonly firstAnswerMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function rounds(): number {
  const at = process.argv.indexOf("--rounds");
  const value = Number(at >= 0 ? process.argv[at + 1] : (process.env.START_BENCH_ROUNDS ?? 3));
  if (!Number.isInteger(value) || value <= 0) throw new Error("--rounds / START_BENCH_ROUNDS must be a positive integer.");
  return value;
}

async function timedStart(stateDir: string): Promise<StartFigures> {
  const { AWS_ENDPOINT_URL: _embedded, ...env } = process.env;
  const app = await startApp(env, { stateDir });
  try {
    const asked = performance.now();
    const answer = await fetch(`${app.api}/tasks?limit=1`, { headers: { authorization: `Bearer ${app.apiKey}` } });
    await answer.arrayBuffer();
    if (answer.status !== 200) throw new Error(`GET /tasks answered ${answer.status}.`);
    return { readyMs: app.readyAfterMs, firstAnswerMs: performance.now() - asked };
  } finally {
    await app.stop();
  }
}

const bench: BenchCase = {
  name: "npm start: cold (caches emptied) and warm (nothing changed)",
  async run() {
    const stateDir = await mkdtemp(join(tmpdir(), "offload-bench-start-"));
    const cold: StartFigures[] = [];
    const warm: StartFigures[] = [];
    try {
      for (let round = 1, total = rounds(); round <= total; round++) {
        await rm(CACHE_DIR, { recursive: true, force: true });
        cold.push(await timedStart(stateDir));
        warm.push(await timedStart(stateDir));
        const [c, w] = [cold.at(-1)!, warm.at(-1)!];
        console.log(
          `round ${round}/${total}: cold ${seconds(c.readyMs)} (first answer ${seconds(c.firstAnswerMs)}), ` +
            `warm ${seconds(w.readyMs)} (first answer ${seconds(w.firstAnswerMs)}); load ${loadavg()[0]!.toFixed(1)}`,
        );
      }
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
    const [coldMs, warmMs] = [median(cold.map((f) => f.readyMs)), median(warm.map((f) => f.readyMs))];
    console.log(`cold start (median)  ${seconds(coldMs)} to "Offload is running"`);
    console.log(`warm start (median)  ${seconds(warmMs)} to "Offload is running"`);
    console.log(`warm / cold          ${(warmMs / coldMs).toFixed(2)}`);
    console.log(
      `first answer after   ${seconds(median(cold.map((f) => f.firstAnswerMs)))} cold, ` +
        `${seconds(median(warm.map((f) => f.firstAnswerMs)))} warm (GET /tasks: authorizer + list load)`,
    );
  },
};

export default bench;
