/** POST /tasks: validate, record and queue a task; answer 202 at once with its view and a Location header. */
import { toView } from "../domain/task.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { enqueue } from "../use-cases/enqueue.ts";
import { httpHandler, json, readJsonBody } from "./http.ts";

export function createEnqueueHandler(deps: () => Dependencies) {
  return httpHandler(async (event) => {
    const body = readJsonBody(event, deps().config.maxRequestBytes);
    const view = toView(await enqueue(body, deps()));
    return json(202, view, { location: view.links.self });
  }, deps);
}
