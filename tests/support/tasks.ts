/** Drives tasks through the real HTTP handlers of a test stack. */
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createEnqueueHandler } from "../../lib/handlers/enqueue.ts";
import { createResultHandler } from "../../lib/handlers/result.ts";
import { createStatusHandler } from "../../lib/handlers/status.ts";
import type { TaskView } from "../../lib/domain/task.ts";
import { httpEvent, jsonRequest } from "./events.ts";
import type { TestStack } from "./stack.ts";
import { eventually } from "./wait.ts";

export function taskClient(stack: TestStack) {
  const enqueueHandler = stack.authorized(createEnqueueHandler(() => stack.deps));
  const statusHandler = stack.authorized(createStatusHandler(() => stack.deps));
  const resultHandler = stack.authorized(createResultHandler(() => stack.deps));
  return {
    enqueue: (type: string, input: unknown) => enqueueHandler(jsonRequest("/tasks", { type, input })),
    status: async (id: string) =>
      body<TaskView>(await statusHandler(httpEvent({ method: "GET", path: `/tasks/${id}`, pathParameters: { id } }))),
    result: (id: string) => resultHandler(httpEvent({ method: "GET", path: `/tasks/${id}/result`, pathParameters: { id } })),
    async waitFor(id: string, statuses = ["succeeded", "failed"], timeoutMs = 30_000): Promise<TaskView> {
      return eventually(
        async () => {
          const view = await this.status(id);
          return statuses.includes(view.status) ? view : undefined;
        },
        { what: `task ${id} to reach ${statuses.join("/")}`, timeoutMs },
      );
    },
  };
}

export function body<T>(response: APIGatewayProxyStructuredResultV2): T {
  return JSON.parse(response.body ?? "null") as T;
}
