/** The dashboard page is public: it carries a key only when the local stack hands it one. */
import { describe, expect, it } from "vitest";
import { createDashboardHandler } from "../../lib/handlers/dashboard.ts";

const DEV_KEY = `ofl_sk_abcdefgh_${"x".repeat(43)}`;

describe("the dashboard page", () => {
  it("holds no credential and may be cached when no development key is given (AWS)", async () => {
    const page = await createDashboardHandler({ taskTypes: ["echo"] })();
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/ofl_sk_[a-z0-9]{8}_/);
    expect(page.headers?.["cache-control"]).toMatch(/public/);
  });

  it("prefills the local development key, and is then never cached", async () => {
    const page = await createDashboardHandler({ taskTypes: ["echo"], devApiKey: DEV_KEY })();
    expect(page.body).toContain(DEV_KEY);
    expect(page.headers?.["cache-control"]).toBe("no-store");
  });
});
