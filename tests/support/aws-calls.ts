/** Counts the commands SDK clients send, by name, via a middleware: what a test uses to bound AWS calls per task. */
import type { AwsClients } from "../../lib/adapters/aws-clients.ts";

export interface CallLog {
  readonly calls: string[];
  reset(): void;
  count(): Record<string, number>;
}

export function recordCalls(clients: AwsClients): CallLog {
  const calls: string[] = [];
  const stacks: [string, { add(middleware: unknown, options: unknown): void }][] = [
    ["dynamo", clients.dynamo.middlewareStack],
    ["sqs", clients.sqs.middlewareStack],
    ["s3", clients.s3.middlewareStack],
    ["secrets", clients.secrets.middlewareStack],
  ];
  for (const [service, stack] of stacks) {
    stack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        calls.push(`${service}:${String(context.commandName).replace(/Command$/, "")}`);
        return next(args);
      },
      { step: "initialize", name: `count-${service}-calls` },
    );
  }
  return {
    calls,
    reset() {
      calls.length = 0;
    },
    count() {
      const counts: Record<string, number> = {};
      for (const call of calls) counts[call] = (counts[call] ?? 0) + 1;
      return counts;
    },
  };
}
