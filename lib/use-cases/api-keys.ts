/** Managing API keys: create (the key is shown once), list (never the secret), revoke. Used by `offload keys`. */
import { isScope, isTenantName, type Scope, DEFAULT_KEY_SCOPES } from "../domain/access.ts";
import { type ApiKeyRecord, generateApiKey, hashApiKey, matchesHash, parseApiKey } from "../domain/api-key.ts";
import { ValidationError } from "../domain/errors.ts";
import type { ApiKeyStore, Clock } from "../ports.ts";

export interface NewApiKey {
  readonly tenant: string;
  readonly scopes?: readonly string[] | undefined;
  readonly name?: string | undefined;
  /** Lifetime in ms; none = never expires. */
  readonly expiresInMs?: number | undefined;
}

export interface CreatedApiKey {
  /** The key itself: shown once, stored nowhere. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

type KeyDependencies = { readonly keys: ApiKeyStore; readonly clock: Clock };

export async function createApiKey(request: NewApiKey, deps: KeyDependencies): Promise<CreatedApiKey> {
  const record = newRecord(request, deps.clock.now());
  for (let attempt = 0; attempt < 5; attempt++) {
    const { key, prefix } = generateApiKey();
    const stored = { ...record, prefix, hash: hashApiKey(key) };
    if (await deps.keys.create(stored)) return { key, record: stored };
  }
  throw new Error("Could not find a free key prefix in 5 tries.");
}

/**
 * Makes sure `key` (a key created earlier, e.g. the development key `npm start` saved) is stored for `request`'s
 * tenant: stores it again if the store lost it (the embedded emulator keeps nothing across restarts). False if its
 * prefix belongs to another key.
 */
export async function restoreApiKey(key: string, request: NewApiKey, deps: KeyDependencies): Promise<boolean> {
  const parsed = parseApiKey(key);
  if (!parsed) throw new ValidationError("invalid_api_key", "Not an Offload API key (ofl_sk_…).");
  const existing = await deps.keys.get(parsed.prefix);
  if (existing) return matchesHash(key, existing.hash) && existing.tenant === request.tenant && !existing.revokedAt;
  return deps.keys.create({ ...newRecord(request, deps.clock.now()), prefix: parsed.prefix, hash: hashApiKey(key) });
}

/** Revokes the key with this public prefix (the caller turns a whole key into its prefix). */
export async function revokeApiKey(prefix: string, deps: KeyDependencies): Promise<ApiKeyRecord | undefined> {
  return deps.keys.revoke(prefix, deps.clock.now());
}

function newRecord(request: NewApiKey, now: Date): Omit<ApiKeyRecord, "prefix" | "hash"> {
  if (!isTenantName(request.tenant)) {
    throw new ValidationError(
      "invalid_tenant",
      `Tenant ${JSON.stringify(request.tenant)} is not valid: 1–64 of a-z, 0-9, "-" and "_", starting with a letter or digit.`,
    );
  }
  const scopes = request.scopes ?? DEFAULT_KEY_SCOPES;
  const unknown = scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new ValidationError("invalid_scopes", `Unknown scopes: ${unknown.join(", ") || "(none given)"}.`);
  }
  return {
    tenant: request.tenant,
    scopes: [...new Set(scopes as Scope[])],
    name: request.name ?? "",
    createdAt: now.toISOString(),
    ...(request.expiresInMs ? { expiresAt: new Date(now.getTime() + request.expiresInMs).toISOString() } : {}),
  };
}
