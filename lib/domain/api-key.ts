/**
 * API keys. Pure: the key format, its generation and hashing, and whether a stored key may be used.
 *
 * A key reads `ofl_sk_<prefix>_<secret>`: the 8-character prefix is public (it names the key in listings, logs and
 * `keys revoke`) and is the key's id in the store; the secret is 43 base64url characters (256 random bits). The key
 * is shown once, when it is created; only the SHA-256 of the whole key is stored.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Scope } from "./access.ts";

export const API_KEY_PREFIX = "ofl_sk_";

const PREFIX_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"; // no l, 0, 1: easy to read out
const PREFIX_LENGTH = 8;
const SECRET_BYTES = 32;
const KEY = /^ofl_sk_([a-km-z2-9]{8})_([A-Za-z0-9_-]{43})$/;

/** A stored key: everything but the key itself. */
export interface ApiKeyRecord {
  /** Public, unique: `ofl_sk_<prefix>_…`. */
  readonly prefix: string;
  /** Hex SHA-256 of the whole key. */
  readonly hash: string;
  readonly tenant: string;
  readonly scopes: readonly Scope[];
  readonly name: string;
  /** ISO-8601. */
  readonly createdAt: string;
  readonly expiresAt?: string | undefined;
  readonly lastUsedAt?: string | undefined;
  readonly revokedAt?: string | undefined;
}

/** A new key: its full text (to show once) and its public prefix. */
export function generateApiKey(): { key: string; prefix: string } {
  const bytes = randomBytes(PREFIX_LENGTH);
  const prefix = [...bytes].map((byte) => PREFIX_ALPHABET[byte % PREFIX_ALPHABET.length]).join("");
  return { key: `${API_KEY_PREFIX}${prefix}_${randomBytes(SECRET_BYTES).toString("base64url")}`, prefix };
}

/** The prefix of a well-formed key, or undefined. */
export function parseApiKey(value: string): { prefix: string } | undefined {
  const match = KEY.exec(value);
  return match ? { prefix: match[1]! } : undefined;
}

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

/** Compares a key with a stored hash in constant time. */
export function matchesHash(key: string, hash: string): boolean {
  const expected = Buffer.from(hash, "hex");
  const actual = createHash("sha256").update(key, "utf8").digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Why a stored key may not be used now, or undefined when it may. */
export function keyRefusal(record: Pick<ApiKeyRecord, "revokedAt" | "expiresAt">, now: Date): string | undefined {
  if (record.revokedAt) return "This API key was revoked.";
  if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) return "This API key has expired.";
  return undefined;
}

/** `lastUsedAt` is written at most once per this interval per key. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export function shouldTouchLastUsed(record: Pick<ApiKeyRecord, "lastUsedAt">, now: Date): boolean {
  return !record.lastUsedAt || now.getTime() - Date.parse(record.lastUsedAt) >= LAST_USED_RESOLUTION_MS;
}

/** `90d`, `12h`, `30m` → milliseconds; undefined if the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})([dhm])$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as "d" | "h" | "m"];
  return Number(match[1]) * unit;
}
