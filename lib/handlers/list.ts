/** GET /tasks?status=&type=&limit=&cursor=: the tenant's tasks, newest first, from the indexes. */
import { Scope } from "../domain/access.ts";
import { type ListDependencies, listTasks } from "../use-cases/list-tasks.ts";
import type { Logger } from "../logger.ts";
import { DEFAULT_LIST_LIMIT, listQuery } from "./api-schemas.ts";
import { httpHandler, json } from "./http.ts";
import { parseQuery } from "./query.ts";

export function createListHandler(deps: () => ListDependencies & { logger: Logger }) {
  return httpHandler(
    async (event, { tenant }) => {
      const query = parseQuery(event, listQuery);
      const list = await listTasks({ ...query, tenant, limit: query.limit ?? DEFAULT_LIST_LIMIT }, deps());
      return json(200, list);
    },
    deps,
    { scope: Scope.TasksRead },
  );
}
