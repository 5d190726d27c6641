/**
 * Who is calling, and what they may do. Pure: the scopes, the tenant name rule, and the principal the authorizer
 * hands to every protected route (API Gateway's authorizer context), parsed back on the other side.
 */

/** What a credential may do. */
export const Scope = {
  /** Enqueue, uploads, cancel, redrive. */
  TasksWrite: "tasks:write",
  /** Get, events, result, list. */
  TasksRead: "tasks:read",
  /** Everything, including what later admin routes add. */
  Admin: "admin",
} as const;

export type Scope = (typeof Scope)[keyof typeof Scope];

export const ALL_SCOPES: readonly Scope[] = Object.freeze(Object.values(Scope));

/** The scopes a new key gets when none are named. */
export const DEFAULT_KEY_SCOPES: readonly Scope[] = Object.freeze([Scope.TasksWrite, Scope.TasksRead]);

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

/**
 * Tenant names: 1–64 of lower-case letters, digits, `-` and `_`, starting with a letter or digit. They are safe as S3
 * key segments and inside the `<tenant>#<status>` index keys.
 */
const TENANT = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isTenantName(value: string): boolean {
  return TENANT.test(value);
}

/** An authenticated caller: the tenant every read and write is scoped to, and what it may do. */
export interface Principal {
  readonly tenant: string;
  readonly scopes: readonly Scope[];
  /** The API key's public prefix; absent for a watch token. */
  readonly keyPrefix?: string | undefined;
  /** A watch token's task: the principal may read this one task only. */
  readonly taskId?: string | undefined;
}

/** Whether `principal` holds `scope` (`admin` holds every scope). */
export function hasScope(principal: Pick<Principal, "scopes">, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes(Scope.Admin);
}

/**
 * The authorizer's verdict as API Gateway passes it on (`requestContext.authorizer.lambda`): flat string values only.
 * A refused credential still reaches the route as `{ error, message }`, so that the client gets the API's JSON error
 * (HTTP APIs cannot shape the authorizer's own 401/403 bodies); the shared HTTP layer refuses it before any route code.
 */
export type AuthorizerContext =
  | { readonly tenant: string; readonly scopes: string; readonly keyPrefix: string; readonly taskId: string }
  | { readonly error: "unauthorized"; readonly message: string };

export function principalToContext(principal: Principal): AuthorizerContext {
  return {
    tenant: principal.tenant,
    scopes: principal.scopes.join(" "),
    keyPrefix: principal.keyPrefix ?? "",
    taskId: principal.taskId ?? "",
  };
}

/** The principal in an authorizer context, or why there is none. Never trusts a context that does not parse. */
export function principalFromContext(
  context: Readonly<Record<string, unknown>> | undefined,
): { principal: Principal } | { refused: string } {
  if (!context) return { refused: "Send an API key: Authorization: Bearer ofl_sk_…" };
  if (typeof context.error === "string") {
    return { refused: typeof context.message === "string" ? context.message : "The credential was refused." };
  }
  const { tenant, scopes, keyPrefix, taskId } = context;
  if (typeof tenant !== "string" || !isTenantName(tenant) || typeof scopes !== "string") {
    return { refused: "The credential was refused." };
  }
  return {
    principal: {
      tenant,
      scopes: scopes.split(" ").filter(isScope),
      ...(typeof keyPrefix === "string" && keyPrefix ? { keyPrefix } : {}),
      ...(typeof taskId === "string" && taskId ? { taskId } : {}),
    },
  };
}
