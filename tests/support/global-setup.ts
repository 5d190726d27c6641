/**
 * Starts the embedded emulator on a free port for the whole run and reads serverless.yml's `test` stage once.
 * Each test file then creates its own stack (own table, queues and bucket) with tests/support/stack.ts.
 */
import type { TestProject } from "vitest/node";
import { startEmulator } from "../../infra/emulator.ts";
import { loadServerlessConfig } from "../../infra/serverless-config.ts";

declare module "vitest" {
  export interface ProvidedContext {
    awsEndpoint: string;
    serverlessConfig: string;
  }
}

export default async function setup(project: TestProject) {
  const emulator = await startEmulator({ port: 0 });
  const config = await loadServerlessConfig("test");
  project.provide("awsEndpoint", emulator.endpoint);
  project.provide("serverlessConfig", JSON.stringify(config));
  return async () => {
    await emulator.stop();
  };
}
