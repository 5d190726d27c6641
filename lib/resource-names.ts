/**
 * The physical names of the stack's resources that something outside the functions must know without reading the
 * template (the `offload keys` CLI talks to the API-key table directly). They mirror serverless.yml's `custom.names`
 * (`${self:service}-${sls:stage}-…`); the functions themselves get their names from the environment instead.
 */

/** The `service` of serverless.yml. */
export const SERVICE = "offload";

/** The API-key table of a stage: serverless.yml's `custom.names.apiKeysTable`. */
export function apiKeysTableName(stage: string): string {
  return `${SERVICE}-${stage}-api-keys`;
}
