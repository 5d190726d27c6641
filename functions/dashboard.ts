/**
 * Lambda entry point: GET / (the dashboard page). Needs no AWS access. OFFLOAD_DEV_API_KEY is set by `npm start` only
 * (never in serverless.yml): the local page comes with the development key prefilled.
 */
import { createDashboardHandler } from "../lib/handlers/dashboard.ts";

export const handler = createDashboardHandler({ devApiKey: process.env.OFFLOAD_DEV_API_KEY });
