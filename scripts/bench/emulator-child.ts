/** Runs the embedded emulator in its own process for the export benchmark, so its memory is not the worker's. */
import { startEmulator } from "../../infra/emulator.ts";

const emulator = await startEmulator({ port: 0 });
process.send?.({ endpoint: emulator.endpoint });
process.on("disconnect", () => void emulator.stop().then(() => process.exit(0)));
