/**
 * DatasetReader on DynamoDB: Query or Scan pages of an allow-listed table, returned in DynamoDB's own attribute-value
 * form (numbers as decimal strings, never JavaScript numbers), so that exports write them exactly as stored.
 */
import { type AttributeValue, DescribeTableCommand, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DatasetPage, DatasetPageRequest, DatasetReader, StoredItem } from "../ports.ts";

type Tables = Readonly<Record<string, { readonly tableName: string; readonly indexName?: string }>>;

export class DynamoDatasetReader implements DatasetReader {
  readonly #client: DynamoDBDocumentClient;
  readonly #tables: Tables;

  /** `tables`: the allow-list, dataset id → table (lib/task-types/export/datasets.ts `datasetTables`). */
  constructor(options: { client: DynamoDBDocumentClient; tables: Tables }) {
    this.#client = options.client;
    this.#tables = options.tables;
  }

  async readPage(request: DatasetPageRequest): Promise<DatasetPage> {
    const table = this.#table(request.dataset);
    const expression = request.expression;
    const common = {
      TableName: table.tableName,
      Limit: request.limit,
      ExclusiveStartKey: request.startKey as Record<string, AttributeValue> | undefined,
      FilterExpression: expression?.filter,
      ExpressionAttributeNames: expression && Object.keys(expression.names).length ? { ...expression.names } : undefined,
      ExpressionAttributeValues:
        expression && Object.keys(expression.values).length
          ? (expression.values as Record<string, AttributeValue>)
          : undefined,
    };
    // Low-level commands: items come back unmarshalled by nobody, numbers stay strings.
    const response = expression?.keyCondition
      ? await this.#client.send(
          new QueryCommand({ ...common, IndexName: table.indexName, KeyConditionExpression: expression.keyCondition }),
          { abortSignal: request.signal },
        )
      : await this.#client.send(new ScanCommand(common), { abortSignal: request.signal });
    return {
      items: (response.Items ?? []) as StoredItem[],
      scanned: response.ScannedCount ?? response.Count ?? 0,
      lastEvaluatedKey: response.LastEvaluatedKey as StoredItem | undefined,
    };
  }

  async approximateItemCount(dataset: string): Promise<number | undefined> {
    const { Table } = await this.#client.send(new DescribeTableCommand({ TableName: this.#table(dataset).tableName }));
    return Table?.ItemCount;
  }

  #table(dataset: string) {
    const table = this.#tables[dataset];
    if (!table) throw new Error(`Dataset ${JSON.stringify(dataset)} is not allow-listed on this deployment.`);
    return table;
  }
}
