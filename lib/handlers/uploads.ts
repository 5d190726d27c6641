/** POST /uploads: a key under `uploads/<tenant>/` and the presigned PUT to upload one image to it. */
import { Scope } from "../domain/access.ts";
import { createUpload } from "../use-cases/create-upload.ts";
import type { Dependencies } from "../use-cases/dependencies.ts";
import { httpHandler, json, readJsonBody } from "./http.ts";

export function createUploadsHandler(deps: () => Dependencies) {
  return httpHandler(
    async (event, { tenant }) => {
      const body = readJsonBody(event, deps().config);
      return json(201, await createUpload(body, tenant, deps()));
    },
    deps,
    { scope: Scope.TasksWrite },
  );
}
