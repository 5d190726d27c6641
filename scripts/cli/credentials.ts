/**
 * Which API key the command-line tools send (`Authorization: Bearer …`): `--api-key`, else `OFFLOAD_API_KEY`, else
 * the development key `npm start` saved in `.offload/local.json`, and that one only to the API it was made for (the
 * file's `apiUrl`), so that a deployed API never receives the local key.
 */
import { localStatePath, readLocalState, sameApiUrl } from "../local-state.ts";

export interface ApiCredential {
  readonly key: string;
  /** Where it came from, for error messages: `--api-key`, `OFFLOAD_API_KEY` or the state file's path. */
  readonly source: string;
}

export async function resolveApiKey(options: {
  apiUrl: string;
  /** `--api-key`, when given. */
  flag?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<ApiCredential | undefined> {
  const env = options.env ?? process.env;
  if (options.flag) return { key: options.flag, source: "--api-key" };
  if (env.OFFLOAD_API_KEY) return { key: env.OFFLOAD_API_KEY, source: "OFFLOAD_API_KEY" };
  const path = localStatePath(env);
  const saved = await readLocalState(path);
  if (saved && sameApiUrl(saved.apiUrl, options.apiUrl)) return { key: saved.apiKey, source: path };
  return undefined;
}

/** A key as it may be shown: its public part only (`ofl_sk_abcdefgh_…`). */
export function redactKey(key: string): string {
  const match = /^(ofl_sk_[^_]+_)/.exec(key);
  return match ? `${match[1]}…` : "(not an ofl_sk_ key)";
}

/** What to say when the API answered 401 or 403 to a request sent with `credential` (or none). */
export function refusalMessage(
  status: number,
  api: { code: string; message: string },
  credential: ApiCredential | undefined,
): string {
  const suffix = `(${api.code}, HTTP ${status})`;
  if (!credential) {
    return (
      `the API needs an API key: ${api.message} ${suffix}. Pass --api-key or set OFFLOAD_API_KEY ` +
      "(`offload keys create --tenant <tenant>` makes one; `npm start` saves a development key for the local API)"
    );
  }
  const which = `the API key from ${credential.source} (${redactKey(credential.key)})`;
  return status === 403
    ? `${which} may not do this: ${api.message} ${suffix}`
    : `${which} was refused: ${api.message} ${suffix}`;
}
