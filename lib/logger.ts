/** Structured JSON logs (Powertools Logger). Entries carry `taskId`, `type` and `attempt` where known. */
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";

export type Logger = Pick<PowertoolsLogger, "debug" | "info" | "warn" | "error">;

export function createLogger(options: { level?: string } = {}): Logger {
  return new PowertoolsLogger({
    serviceName: "offload",
    logLevel: (options.level ?? process.env.LOG_LEVEL ?? "INFO") as "INFO",
  });
}

/** For tests and tools that want silence. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
