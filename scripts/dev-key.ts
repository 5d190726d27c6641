/**
 * `npm start`'s development API key: tenant `dev`, tasks:read and tasks:write. It is kept in `.offload/local.json`
 * (scripts/local-state.ts) and stored again at every start (the embedded emulator keeps nothing across restarts);
 * when it cannot be restored (LocalStack kept it and it was revoked since, or the file is damaged) a new one replaces
 * it in the file.
 */
import { relative } from "node:path";
import { createAwsClients } from "../lib/adapters/aws-clients.ts";
import { DynamoApiKeyStore } from "../lib/adapters/dynamo-api-key-store.ts";
import { Scope } from "../lib/domain/access.ts";
import { parseApiKey } from "../lib/domain/api-key.ts";
import { systemClock } from "../lib/ports.ts";
import { createApiKey, type NewApiKey, restoreApiKey } from "../lib/use-cases/api-keys.ts";
import { localStatePath, readLocalState, writeLocalState } from "./local-state.ts";

export const DEV_KEY: NewApiKey = Object.freeze({
  tenant: "dev",
  scopes: [Scope.TasksRead, Scope.TasksWrite],
  name: "npm start (development)",
});

export interface DevKey {
  readonly key: string;
  /** Where it is saved. */
  readonly path: string;
  /** The same, relative to the working folder when it is under it. */
  readonly shownPath: string;
  /** True when the key of an earlier start was stored again; false when a new one was made. */
  readonly reused: boolean;
}

/**
 * Makes sure the development key is stored in the local stack's key table and saved with `apiUrl`: the saved key if
 * it can be restored, else `preferred` (a key no table holds yet: local-state.ts's `likelyDevKey`), else a new one.
 */
export async function ensureDevKey(options: {
  endpoint: string;
  region: string;
  tableName: string;
  apiUrl: string;
  path?: string;
  preferred?: string;
}): Promise<DevKey> {
  const path = options.path ?? localStatePath();
  const credentials = process.env.AWS_ACCESS_KEY_ID ? undefined : { accessKeyId: "test", secretAccessKey: "test" };
  const clients = createAwsClients({ endpoint: options.endpoint, region: options.region, ...(credentials ? { credentials } : {}) });
  try {
    const deps = { keys: new DynamoApiKeyStore({ client: clients.dynamo, tableName: options.tableName }), clock: systemClock };
    const saved = await readLocalState(path);
    let key: string | undefined;
    if (saved && parseApiKey(saved.apiKey) && (await restoreApiKey(saved.apiKey, DEV_KEY, deps))) key = saved.apiKey;
    const reused = key !== undefined;
    const { preferred } = options;
    if (!key && preferred && preferred !== saved?.apiKey && parseApiKey(preferred)) {
      if (await restoreApiKey(preferred, DEV_KEY, deps)) key = preferred;
    }
    key ??= (await createApiKey(DEV_KEY, deps)).key;
    await writeLocalState({ apiUrl: options.apiUrl, apiKey: key }, path);
    const shown = relative(process.cwd(), path);
    return { key, path, shownPath: shown.startsWith("..") ? path : shown, reused };
  } finally {
    clients.dynamo.destroy();
    clients.sqs.destroy();
    clients.s3.destroy();
    clients.secrets.destroy();
  }
}
