/** GET /: the dashboard page. Static HTML built once per cold start; the page talks to the public API only. */
import { dashboardHtml } from "../dashboard/page.ts";
import { builtInTaskTypes } from "../task-types/registry.ts";
import type { HttpResponse } from "./http.ts";

export function createDashboardHandler(taskTypes: readonly string[] = builtInTaskTypes().map((t) => t.name)) {
  const body = dashboardHtml([...taskTypes].sort());
  return async (): Promise<HttpResponse> => ({
    statusCode: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "public, max-age=60",
      "x-content-type-options": "nosniff",
    },
    body,
  });
}
