/** POST /tasks: validate, record and queue a task; answer 202 at once. */
import { dependenciesFromEnv } from "../lib/container.ts";
import { toView } from "../lib/domain/task.ts";
import { httpHandler, json, readJsonBody } from "../lib/http/api.ts";
import { enqueue } from "../lib/use-cases/enqueue.ts";

export const handler = httpHandler(
  async (event) => {
    const deps = dependenciesFromEnv();
    const body = readJsonBody(event, deps.config.maxRequestBytes);
    const task = await enqueue(body, deps);
    const view = toView(task);
    return json(202, view, { location: view.links.self });
  },
  () => dependenciesFromEnv().logger,
);
