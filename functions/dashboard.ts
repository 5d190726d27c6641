/** Lambda entry point: GET / (the dashboard page). Needs no AWS access. */
import { createDashboardHandler } from "../lib/handlers/dashboard.ts";

export const handler = createDashboardHandler();
