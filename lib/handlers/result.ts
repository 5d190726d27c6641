/** GET /tasks/{id}/result: 302 to a finished task's file, or 200 with a list when it made several. */
import type { Dependencies } from "../use-cases/dependencies.ts";
import { getResultLocation } from "../use-cases/get-result.ts";
import { httpHandler, json, pathParameter } from "./http.ts";

export function createResultHandler(deps: () => Dependencies) {
  return httpHandler(async (event) => {
    const location = await getResultLocation(pathParameter(event, "id"), deps());
    if (location.kind === "files") return json(200, { files: location.files });
    return { statusCode: 302, headers: { location: location.url, "cache-control": "no-store" }, body: "" };
  }, deps);
}
