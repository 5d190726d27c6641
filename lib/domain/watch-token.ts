/**
 * Watch tokens: short-lived, read-only access to ONE task, for browsers (which must never hold an API key). Pure.
 *
 * `ofl_wt_<payload>.<signature>`: the payload is base64url of `<tenant>:<taskId>:<expiry epoch seconds>`, the
 * signature base64url of its HMAC-SHA256 under the stack's watch-token secret. Nothing is stored: a token is valid
 * until it expires, and rotating the secret invalidates every token at once.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { isTenantName } from "./access.ts";
import { isTaskId } from "./task.ts";

export const WATCH_TOKEN_PREFIX = "ofl_wt_";
const TOKEN = /^ofl_wt_([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/;

export interface WatchTokenClaims {
  readonly tenant: string;
  readonly taskId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export function mintWatchToken(claims: WatchTokenClaims, secret: string): string {
  const payload = Buffer.from(`${claims.tenant}:${claims.taskId}:${claims.expiresAt}`, "utf8").toString("base64url");
  return `${WATCH_TOKEN_PREFIX}${payload}.${sign(payload, secret)}`;
}

export function isWatchTokenShaped(value: string): boolean {
  return value.startsWith(WATCH_TOKEN_PREFIX);
}

/** The token's claims, or why it is refused (malformed, tampered, expired). */
export function verifyWatchToken(
  token: string,
  secret: string,
  now: Date,
): { claims: WatchTokenClaims } | { refused: string } {
  const match = TOKEN.exec(token);
  if (!match) return { refused: "The watch token is malformed." };
  const [, payload, signature] = match as unknown as [string, string, string];
  const expected = Buffer.from(sign(payload, secret), "utf8");
  const actual = Buffer.from(signature, "utf8");
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return { refused: "The watch token's signature does not match." };
  }
  const [tenant, taskId, expiry, ...rest] = Buffer.from(payload, "base64url").toString("utf8").split(":");
  const expiresAt = Number(expiry);
  if (rest.length || !tenant || !isTenantName(tenant) || !taskId || !isTaskId(taskId) || !Number.isInteger(expiresAt)) {
    return { refused: "The watch token is malformed." };
  }
  if (expiresAt * 1000 <= now.getTime()) return { refused: "The watch token has expired." };
  return { claims: { tenant, taskId, expiresAt } };
}

function sign(payload: string, secret: string): string {
  return createHmac("sha256", secret).update(`offload-watch-token.${payload}`).digest("base64url");
}
