/**
 * The export datasets a deployment allows: a client names a dataset id, never a table. Each dataset declares its key
 * schema, the attributes a client may select or filter on, and the columns exported by default. The physical table
 * name comes from the configuration (the environment), so the same code serves every stage.
 */
import type { Config } from "../../config.ts";

export interface DatasetKey {
  readonly name: string;
  readonly type: "S" | "N";
}

export interface DatasetDefinition {
  readonly id: string;
  readonly description: string;
  /** The table's name for a deployment, from its configuration. */
  readonly tableName: (config: Config) => string;
  /** Query on this index instead of the table when a partition key is given (its key schema then applies). */
  readonly indexName?: string;
  readonly partitionKey: DatasetKey;
  readonly sortKey?: DatasetKey;
  /** Every attribute a client may export or filter on, in the default column order. */
  readonly attributes: readonly string[];
  /** Exported when the client names no columns. */
  readonly defaultColumns: readonly string[];
}

/** The demo dataset: the `orders` table of infra/resources.yml, filled by `npm run seed:demo`. */
export const ordersDataset: DatasetDefinition = Object.freeze<DatasetDefinition>({
  id: "orders",
  description: "Demo orders (npm run seed:demo): one item per order, partitioned by customer.",
  tableName: (config: Config) => config.ordersTable,
  partitionKey: { name: "customerId", type: "S" },
  sortKey: { name: "orderId", type: "S" },
  attributes: [
    "customerId",
    "orderId",
    "createdAt",
    "status",
    "customerName",
    "note",
    "total",
    "quantity",
    "discount",
    "gift",
    "address",
    "lines",
    "tags",
    "couponCodes",
    "priorityScores",
    "cancelledAt",
    "attachment",
  ],
  defaultColumns: [
    "customerId",
    "orderId",
    "createdAt",
    "status",
    "customerName",
    "note",
    "total",
    "quantity",
    "discount",
    "gift",
    "address",
    "lines",
    "tags",
    "priorityScores",
  ],
});

/** The datasets Offload ships, by id. */
export const DATASETS: ReadonlyMap<string, DatasetDefinition> = new Map([[ordersDataset.id, ordersDataset]]);

export function findDataset(id: string): DatasetDefinition | undefined {
  return DATASETS.get(id);
}

export function datasetIds(): string[] {
  return [...DATASETS.keys()].sort();
}

/**
 * Whether `tenant` may export `dataset`: the deployment's allow-list (`exportDatasetTenants`, from the
 * EXPORT_DATASET_TENANTS setting) names the tenants per dataset, `*` for all. Unlisted datasets are nobody's.
 */
export function mayExport(
  config: Pick<Config, "exportDatasetTenants">,
  tenant: string,
  dataset: string,
): boolean {
  const tenants = Object.hasOwn(config.exportDatasetTenants, dataset) ? config.exportDatasetTenants[dataset] : undefined;
  return tenants !== undefined && (tenants.includes("*") || tenants.includes(tenant));
}

/** The datasets `tenant` may export. */
export function exportableDatasets(config: Pick<Config, "exportDatasetTenants">, tenant: string): string[] {
  return datasetIds().filter((id) => mayExport(config, tenant, id));
}

/** Dataset id → table name for this deployment: the only tables the export's reader can touch. */
export function datasetTables(config: Config): Record<string, { tableName: string; indexName?: string }> {
  return Object.fromEntries(
    [...DATASETS.values()].map((dataset) => [
      dataset.id,
      { tableName: dataset.tableName(config), ...(dataset.indexName ? { indexName: dataset.indexName } : {}) },
    ]),
  );
}
