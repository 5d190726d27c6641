/**
 * Idempotency keys on DynamoDB, in the tasks table under ids `idempotency#<tenant>#<key>` (items without a tenant
 * attribute, so the per-tenant indexes never list them). A key is reserved with one conditional PutItem: the first
 * request wins, every concurrent or later one reads who won.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { IdempotencyRecord, IdempotencyStore } from "../ports.ts";

export class DynamoIdempotencyStore implements IdempotencyStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async reserve(
    tenant: string,
    key: string,
    record: IdempotencyRecord,
    now: Date,
  ): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord }> {
    const id = itemId(tenant, key);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { id, owner: tenant, ...record },
          // An expired reservation (DynamoDB's TTL deletes late) counts as free.
          ConditionExpression: "attribute_not_exists(id) OR expiresAt <= :nowSeconds",
          ExpressionAttributeValues: { ":nowSeconds": Math.floor(now.getTime() / 1000) },
        }),
      );
      return { reserved: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.#client.send(
        new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true }),
      );
      if (!Item) return this.reserve(tenant, key, record, now); // released in between: try again
      return {
        reserved: false,
        existing: {
          fingerprint: String(Item.fingerprint),
          taskId: String(Item.taskId),
          expiresAt: Number(Item.expiresAt),
          reservedAt: Number(Item.reservedAt ?? 0),
        },
      };
    }
  }

  async takeOver(tenant: string, key: string, staleTaskId: string, record: IdempotencyRecord): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { id: itemId(tenant, key), owner: tenant, ...record },
          ConditionExpression: "taskId = :stale",
          ExpressionAttributeValues: { ":stale": staleTaskId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(tenant: string, key: string, taskId: string): Promise<void> {
    await this.#client
      .send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { id: itemId(tenant, key) },
          ConditionExpression: "taskId = :taskId",
          ExpressionAttributeValues: { ":taskId": taskId },
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}

function itemId(tenant: string, key: string): string {
  return `idempotency#${tenant}#${key}`;
}
