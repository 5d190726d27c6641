/**
 * Authorize a request: turn its credential into a principal (tenant + scopes), or say why not. Used by the HTTP API's
 * request authorizer (functions/authorizer.ts); API Gateway caches the verdict per Authorization header.
 *
 * Credentials: `Authorization: Bearer ofl_sk_…` (an API key) or `Authorization: Bearer ofl_wt_…` (a watch token);
 * a watch token may also come as `?token=` (links and <img>, which cannot send headers) — an API key never may, since
 * URLs end up in logs and browser history.
 *
 * AWS calls: a watch token, none (an HMAC; the key is read once per cold start). An API key, one GetItem, plus one
 * UpdateItem of `lastUsedAt` at most once a minute per key.
 */
import type { Principal } from "../domain/access.ts";
import { keyRefusal, matchesHash, parseApiKey, shouldTouchLastUsed } from "../domain/api-key.ts";
import { isWatchTokenShaped } from "../domain/watch-token.ts";
import type { Logger } from "../logger.ts";
import type { ApiKeyStore, Clock } from "../ports.ts";
import type { WatchTokens } from "./watch-tokens.ts";

export interface AuthorizeDependencies {
  readonly keys: ApiKeyStore;
  readonly watchTokens: WatchTokens;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface Credentials {
  /** The Authorization header, as sent. */
  readonly authorization?: string | undefined;
  /** The `token` query parameter (watch tokens only). */
  readonly queryToken?: string | undefined;
}

export type Verdict = { readonly principal: Principal } | { readonly refused: string };

/** Longer headers are refused unread. */
const MAX_CREDENTIAL_LENGTH = 512;
const MISSING = "Send an API key: Authorization: Bearer ofl_sk_…";
const MALFORMED = "The Authorization header must read `Bearer <API key or watch token>`.";
const UNKNOWN = "Unknown API key.";

export async function authorize(credentials: Credentials, deps: AuthorizeDependencies): Promise<Verdict> {
  const credential = credentialOf(credentials);
  if ("refused" in credential) return credential;
  const { value } = credential;
  if (isWatchTokenShaped(value)) {
    const verdict = await deps.watchTokens.verify(value);
    if ("refused" in verdict) return verdict;
    const { tenant, taskId } = verdict.claims;
    return { principal: { tenant, taskId, scopes: ["tasks:read"] } };
  }
  if (credential.from === "query") return { refused: "Only a watch token may be sent as ?token=; send API keys in the Authorization header." };
  const parsed = parseApiKey(value);
  if (!parsed) return { refused: MALFORMED };
  const record = await deps.keys.get(parsed.prefix);
  if (!record || !matchesHash(value, record.hash)) return { refused: UNKNOWN };
  const now = deps.clock.now();
  const refusal = keyRefusal(record, now);
  if (refusal) return { refused: refusal };
  if (shouldTouchLastUsed(record, now)) {
    await deps.keys.touchLastUsed(record.prefix, now).catch((error: unknown) => {
      deps.logger.warn("could not record the API key's last use", { keyPrefix: record.prefix, error });
    });
  }
  return { principal: { tenant: record.tenant, scopes: record.scopes, keyPrefix: record.prefix } };
}

function credentialOf(
  credentials: Credentials,
): { value: string; from: "header" | "query" } | { refused: string } {
  const header = credentials.authorization;
  if (header === undefined || header === "") {
    const token = credentials.queryToken;
    if (token === undefined || token === "") return { refused: MISSING };
    if (token.length > MAX_CREDENTIAL_LENGTH) return { refused: "The token is too long." };
    return { value: token, from: "query" };
  }
  if (header.length > MAX_CREDENTIAL_LENGTH) return { refused: MALFORMED };
  const match = /^[ \t]*bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i.exec(header);
  if (!match) return { refused: MALFORMED };
  return { value: match[1]!, from: "header" };
}
