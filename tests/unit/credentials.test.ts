/** API keys, watch tokens and the authorizer context: the pure rules, with plain inputs. */
import { describe, expect, it } from "vitest";
import { hasScope, principalFromContext, principalToContext, Scope } from "../../lib/domain/access.ts";
import { generateApiKey, hashApiKey, keyRefusal, matchesHash, parseApiKey, parseDuration, shouldTouchLastUsed } from "../../lib/domain/api-key.ts";
import { mintWatchToken, verifyWatchToken } from "../../lib/domain/watch-token.ts";

const TASK = "01JD0000000000000000000000";
const SECRET = "a-test-secret-of-some-length";

describe("API keys", () => {
  it("look like ofl_sk_<8-char prefix>_<43 base64url chars> and carry 256 random bits", () => {
    const { key, prefix } = generateApiKey();
    expect(key).toMatch(/^ofl_sk_[a-km-z2-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(key)).toEqual({ prefix });
    expect(Buffer.from(key.split("_").slice(3).join("_"), "base64url")).toHaveLength(32);
    const many = new Set(Array.from({ length: 200 }, () => generateApiKey().key));
    expect(many.size).toBe(200);
  });

  it("are matched by their SHA-256 only, in constant time", () => {
    const { key } = generateApiKey();
    const hash = hashApiKey(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(key.slice(16));
    expect(matchesHash(key, hash)).toBe(true);
    const otherLast = key.endsWith("A") ? "B" : "A";
    expect(matchesHash(`${key.slice(0, -1)}${otherLast}`, hash)).toBe(false);
    expect(matchesHash(key, "00")).toBe(false);
  });

  it("refuse malformed text", () => {
    for (const text of ["", "ofl_sk_", "ofl_sk_abcdefgh_short", `ofl_sk_ABCDEFGH_${"a".repeat(43)}`, `ofl_wt_x.${"a".repeat(43)}`, `ofl_sk_abcdefgh_${"a".repeat(43)}\u0000`]) {
      expect(parseApiKey(text)).toBeUndefined();
    }
  });

  it("are refused once revoked or expired", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(keyRefusal({}, now)).toBeUndefined();
    expect(keyRefusal({ revokedAt: "2025-12-31T00:00:00Z" }, now)).toMatch(/revoked/);
    expect(keyRefusal({ expiresAt: "2025-12-31T23:59:59Z" }, now)).toMatch(/expired/);
    expect(keyRefusal({ expiresAt: "2026-01-01T00:00:01Z" }, now)).toBeUndefined();
  });

  it("record their last use at most once a minute", () => {
    const now = new Date("2026-01-01T00:01:00Z");
    expect(shouldTouchLastUsed({}, now)).toBe(true);
    expect(shouldTouchLastUsed({ lastUsedAt: "2026-01-01T00:00:30Z" }, now)).toBe(false);
    expect(shouldTouchLastUsed({ lastUsedAt: "2026-01-01T00:00:00Z" }, now)).toBe(true);
  });

  it("expire after durations written as 90d, 12h, 30m", () => {
    expect(parseDuration("90d")).toBe(90 * 86_400_000);
    expect(parseDuration("12h")).toBe(12 * 3_600_000);
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("1y")).toBeUndefined();
    expect(parseDuration("-1d")).toBeUndefined();
  });
});

describe("watch tokens", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const expiresAt = now.getTime() / 1000 + 900;

  it("carry their tenant and task, signed", () => {
    const token = mintWatchToken({ tenant: "acme", taskId: TASK, expiresAt }, SECRET);
    expect(token).toMatch(/^ofl_wt_/);
    expect(verifyWatchToken(token, SECRET, now)).toEqual({ claims: { tenant: "acme", taskId: TASK, expiresAt } });
  });

  it("are refused when tampered with, signed with another key, or expired", () => {
    const token = mintWatchToken({ tenant: "acme", taskId: TASK, expiresAt }, SECRET);
    const forgedPayload = Buffer.from(`other:${TASK}:${expiresAt}`).toString("base64url");
    const forged = `ofl_wt_${forgedPayload}.${token.split(".")[1]}`;
    expect(verifyWatchToken(forged, SECRET, now)).toEqual({ refused: expect.stringMatching(/signature/) });
    const flipped = token.slice(0, -2) + (token.at(-2) === "A" ? "B" : "A") + token.at(-1);
    expect(verifyWatchToken(flipped, SECRET, now)).toHaveProperty("refused");
    expect(verifyWatchToken(token, "another-secret", now)).toHaveProperty("refused");
    expect(verifyWatchToken(token, SECRET, new Date((expiresAt + 1) * 1000))).toEqual({ refused: expect.stringMatching(/expired/) });
    expect(verifyWatchToken("ofl_wt_garbage", SECRET, now)).toEqual({ refused: expect.stringMatching(/malformed/) });
  });
});

describe("the authorizer context", () => {
  it("round-trips a principal as flat strings", () => {
    const principal = { tenant: "acme", scopes: [Scope.TasksRead], keyPrefix: "abcdefgh" };
    const context = principalToContext(principal);
    expect(Object.values(context).every((value) => typeof value === "string")).toBe(true);
    expect(principalFromContext(context)).toEqual({ principal });
  });

  it("never yields a principal from a refusal, a missing context or a malformed one", () => {
    expect(principalFromContext(undefined)).toHaveProperty("refused");
    expect(principalFromContext({ error: "unauthorized", message: "Unknown API key." })).toEqual({ refused: "Unknown API key." });
    expect(principalFromContext({ tenant: "../other", scopes: "tasks:read" })).toHaveProperty("refused");
    expect(principalFromContext({ tenant: "acme" })).toHaveProperty("refused");
    expect(principalFromContext({ tenant: "acme", scopes: "root tasks:read" })).toEqual({
      principal: { tenant: "acme", scopes: ["tasks:read"] },
    });
  });

  it("lets admin do everything and the others only their own scope", () => {
    expect(hasScope({ scopes: [Scope.Admin] }, Scope.TasksWrite)).toBe(true);
    expect(hasScope({ scopes: [Scope.TasksRead] }, Scope.TasksWrite)).toBe(false);
    expect(hasScope({ scopes: [Scope.TasksWrite] }, Scope.TasksWrite)).toBe(true);
  });
});
