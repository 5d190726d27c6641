/**
 * What `npm start` leaves for the tools that talk to the local stack: `.offload/local.json`, holding the API's URL and
 * the development API key in plain text. The folder is gitignored and private to its owner (0700, the file 0600).
 *
 * It lives in the project root, or under `OFFLOAD_STATE_DIR` (`$OFFLOAD_STATE_DIR/.offload/local.json`), so that
 * several local stacks (parallel test runs) keep their own.
 */
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PROJECT_ROOT } from "../infra/serverless-config.ts";
import { generateApiKey, parseApiKey } from "../lib/domain/api-key.ts";

export interface LocalState {
  /** The local API's base URL, e.g. `http://127.0.0.1:3000`. */
  readonly apiUrl: string;
  /** The development API key (`ofl_sk_…`; tenant `dev`, tasks:read and tasks:write). */
  readonly apiKey: string;
}

/** `.offload/local.json` for this environment. */
export function localStatePath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env.OFFLOAD_STATE_DIR || PROJECT_ROOT, ".offload", "local.json");
}

/** The saved state, or undefined when there is none (or it is not what `npm start` writes). */
export async function readLocalState(path = localStatePath()): Promise<LocalState | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { apiUrl, apiKey } = parsed as Record<string, unknown>;
  return typeof apiUrl === "string" && typeof apiKey === "string" ? { apiUrl, apiKey } : undefined;
}

/** Writes the state atomically, readable by its owner only. */
export async function writeLocalState(state: LocalState, path = localStatePath()): Promise<void> {
  const dir = join(path, "..");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ apiUrl: state.apiUrl, apiKey: state.apiKey }, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600); // the mode above only applies to a new file
  await rename(temporary, path);
}

/**
 * The development key `npm start` will most likely settle on (scripts/dev-key.ts `ensureDevKey`, as `preferred`),
 * known before the key table exists: the saved one, else a new one. `npm start` hands it to the HTTP layer (the
 * dashboard prefills it) while the stack is being created.
 */
export async function likelyDevKey(path = localStatePath()): Promise<string> {
  const saved = await readLocalState(path);
  return saved && parseApiKey(saved.apiKey) ? saved.apiKey : generateApiKey().key;
}

/** Whether two API base URLs are the same (trailing slashes aside). */
export function sameApiUrl(a: string, b: string): boolean {
  const normalise = (url: string) => url.trim().replace(/\/+$/, "");
  return normalise(a) === normalise(b);
}
