/**
 * `npm run bench [case ...]`: runs the benchmark cases in scripts/bench/*.bench.ts (all of them, or those named).
 * Each case measures Offload against a raw baseline in the same run and prints ratios, not absolute targets:
 * these machines are shared and noisy.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface BenchCase {
  readonly name: string;
  run(): Promise<void>;
}

const dir = fileURLToPath(new URL("./bench/", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((file) => file.endsWith(".bench.ts"))
  .filter((file) => wanted.length === 0 || wanted.includes(file.replace(/\.bench\.ts$/, "")))
  .sort();

if (files.length === 0) {
  console.error(`No benchmark case matches ${wanted.join(", ") || "(none found)"} in scripts/bench/.`);
  process.exit(1);
}
for (const file of files) {
  const { default: bench } = (await import(new URL(`./bench/${file}`, import.meta.url).href)) as { default: BenchCase };
  console.log(`\n=== ${bench.name} ===`);
  await bench.run();
}
