/** TaskQueries on DynamoDB: Query on the `byTenant` / `byTenantStatus` indexes, newest first. Never a Scan. */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { LIVE_STATUSES } from "../domain/status.ts";
import { isExpired, type Task } from "../domain/task.ts";
import type { TaskListKey, TaskListPage, TaskListQuery, TaskQueries } from "../task-queries.ts";
import { taskFromItem, tenantStatusKey } from "./task-items.ts";

/** A filtered query may read many non-matching items; stop after this many index pages and hand back a cursor. */
const MAX_PAGES_PER_REQUEST = 10;

export class DynamoTaskQueries implements TaskQueries {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => Date;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; now?: () => Date }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async list(query: TaskListQuery): Promise<TaskListPage> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    let index: string;
    if (query.status) {
      index = "byTenantStatus";
      names["#pk"] = "tenantStatus";
      values[":pk"] = tenantStatusKey(query.tenant, query.status);
    } else {
      index = "byTenant";
      names["#pk"] = "tenant";
      values[":pk"] = query.tenant;
    }
    if (query.type) {
      names["#type"] = "type";
      values[":type"] = query.type;
    }
    const tasks: Task[] = [];
    let startKey: TaskListKey | undefined = query.startKey;
    for (let page = 0; page < MAX_PAGES_PER_REQUEST; page++) {
      const input: QueryCommandInput = {
        TableName: this.#table,
        IndexName: index,
        KeyConditionExpression: "#pk = :pk",
        ...(query.type ? { FilterExpression: "#type = :type" } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        // Limit counts items read before the filter, so a page never overshoots what is still wanted.
        Limit: query.limit - tasks.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      };
      const { Items = [], LastEvaluatedKey } = await this.#client.send(new QueryCommand(input));
      const now = this.#now();
      for (const item of Items) {
        const task = taskFromItem(item);
        if (!isExpired(task, now)) tasks.push(task);
      }
      startKey = LastEvaluatedKey as TaskListKey | undefined;
      if (!startKey || tasks.length >= query.limit) break;
    }
    return { tasks, ...(startKey ? { lastKey: startKey } : {}) };
  }

  async countLive(tenant: string, atMost: number): Promise<number> {
    let count = 0;
    for (const status of LIVE_STATUSES) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: "byTenantStatus",
            KeyConditionExpression: "tenantStatus = :pk",
            ExpressionAttributeValues: { ":pk": tenantStatusKey(tenant, status) },
            Select: "COUNT",
            Limit: atMost - count,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        count += page.Count ?? 0;
        startKey = page.LastEvaluatedKey;
      } while (startKey && count < atMost);
      if (count >= atMost) return count;
    }
    return count;
  }
}
