/**
 * API keys on DynamoDB: one item per key in the keys table, under its public prefix. The item holds the SHA-256 of
 * the key, never the key. Costs: the authorizer's lookup is one eventually consistent GetItem (0.5 read unit); a
 * use is recorded with one conditional UpdateItem at most once a minute per key.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateScan,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { type ApiKeyRecord, LAST_USED_RESOLUTION_MS } from "../domain/api-key.ts";
import type { ApiKeyStore } from "../ports.ts";

export class DynamoApiKeyStore implements ApiKeyStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async create(record: ApiKeyRecord): Promise<boolean> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...record, scopes: [...record.scopes] },
          ConditionExpression: "attribute_not_exists(prefix)",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(prefix: string): Promise<ApiKeyRecord | undefined> {
    const { Item } = await this.#client.send(new GetCommand({ TableName: this.#table, Key: { prefix } }));
    return Item ? toRecord(Item) : undefined;
  }

  async touchLastUsed(prefix: string, now: Date): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { prefix },
          UpdateExpression: "SET lastUsedAt = :now",
          ConditionExpression: "attribute_exists(prefix) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :recent)",
          ExpressionAttributeValues: {
            ":now": now.toISOString(),
            ":recent": new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString(),
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    const records: ApiKeyRecord[] = [];
    const pages = paginateScan(
      { client: this.#client },
      {
        TableName: this.#table,
        ...(tenant === undefined
          ? {}
          : { FilterExpression: "tenant = :tenant", ExpressionAttributeValues: { ":tenant": tenant } }),
      },
    );
    for await (const page of pages) records.push(...(page.Items ?? []).map(toRecord));
    return records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async revoke(prefix: string, now: Date): Promise<ApiKeyRecord | undefined> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { prefix },
          UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :now)",
          ConditionExpression: "attribute_exists(prefix)",
          ExpressionAttributeValues: { ":now": now.toISOString() },
          ReturnValues: "ALL_NEW",
        }),
      );
      return Attributes ? toRecord(Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }
}

function toRecord(item: Record<string, unknown>): ApiKeyRecord {
  return {
    prefix: String(item.prefix),
    hash: String(item.hash),
    tenant: String(item.tenant),
    scopes: Array.isArray(item.scopes) ? (item.scopes as ApiKeyRecord["scopes"]) : [],
    name: String(item.name ?? ""),
    createdAt: String(item.createdAt),
    ...(typeof item.expiresAt === "string" ? { expiresAt: item.expiresAt } : {}),
    ...(typeof item.lastUsedAt === "string" ? { lastUsedAt: item.lastUsedAt } : {}),
    ...(typeof item.revokedAt === "string" ? { revokedAt: item.revokedAt } : {}),
  };
}
