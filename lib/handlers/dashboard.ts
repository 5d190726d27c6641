/**
 * GET /: the dashboard page. Static HTML built once per cold start; the page talks to the public API only, with the
 * API key its user enters. `devApiKey` (the local stack's development key, from OFFLOAD_DEV_API_KEY, which only
 * `npm start` sets) prefills its key form; such a page is never cached.
 */
import { dashboardHtml } from "../dashboard/page.ts";
import { builtInTaskTypes } from "../task-types/registry.ts";
import type { HttpResponse } from "./http.ts";

export interface DashboardHandlerOptions {
  readonly taskTypes?: readonly string[];
  /** Local stacks only: embedded in the page. */
  readonly devApiKey?: string | undefined;
}

export function createDashboardHandler(options: DashboardHandlerOptions = {}) {
  const taskTypes = options.taskTypes ?? builtInTaskTypes().map((t) => t.name);
  const body = dashboardHtml([...taskTypes].sort(), { devApiKey: options.devApiKey });
  return async (): Promise<HttpResponse> => ({
    statusCode: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": options.devApiKey ? "no-store" : "public, max-age=60",
      "x-content-type-options": "nosniff",
    },
    body,
  });
}
