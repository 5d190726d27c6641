/**
 * The exporter alone in a fresh process, for the export benchmark's memory figures: it gets the stack from its
 * parent (the emulator runs in a third process), runs one export, and reports the export's time and this process's
 * resident set size (sampled every 10 ms) before and during it.
 */
import { type BenchTarget, connect, exportOnce } from "./export-run.ts";

const target = await new Promise<BenchTarget & { taskId: string }>((resolve) => process.once("message", resolve as never));
const connection = connect(target);
const rssBefore = process.memoryUsage.rss();
let peakRss = rssBefore;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 10);
const figures = await exportOnce(connection, target.taskId);
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
connection.close();
process.send?.({ ...figures, rssBefore, peakRss, maxRss: process.resourceUsage().maxRSS * 1024 }, () => process.disconnect());
