/**
 * GET /tasks/{id}/result: 302 to a finished task's file, or 200 with a list when it made several (`?file=<name>`
 * redirects to one of them). Takes a watch token as `?token=` too, for links and <img> (see serverless.yml's `link`
 * authorizer).
 */
import { Scope } from "../domain/access.ts";
import { OffloadError } from "../domain/errors.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { getResultLocation } from "../use-cases/get-result.ts";
import { resultQuery } from "./api-schemas.ts";
import { httpHandler, json, pathParameter } from "./http.ts";
import { parseQuery } from "./query.ts";

export function createResultHandler(deps: () => Dependencies) {
  return httpHandler(
    async (event, { tenant }) => {
      const id = pathParameter(event, "id");
      const { file } = parseQuery(event, resultQuery);
      const location = await getResultLocation(id, deps(), { tenant });
      let url: string;
      if (location.kind === "file") url = location.url;
      else if (file === undefined) return json(200, { files: location.files });
      else {
        const chosen = location.files.find((candidate) => candidate.name === file);
        if (!chosen) {
          throw new OffloadError("no_result_file", `Task ${id} has no file named ${JSON.stringify(file)}.`, {
            details: { id, files: location.files.map((candidate) => candidate.name) },
          });
        }
        url = chosen.url;
      }
      return { statusCode: 302, headers: { location: url, "cache-control": "no-store" }, body: "" };
    },
    deps,
    { scope: Scope.TasksRead },
  );
}
