/** TaskStore on DynamoDB: one item per task, every status change a single conditional UpdateItem. */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { TransitionConflictError, type TaskErrorInfo } from "../domain/errors.ts";
import { TaskStatus } from "../domain/status.ts";
import { isExpired, type Task, type TaskProgress } from "../domain/task.ts";
import type { Lease, TaskRef, TaskStore } from "../ports.ts";

/** The key of the `byTenantStatus` index. */
function tenantStatus(tenant: string, status: TaskStatus): string {
  return `${tenant}#${status}`;
}

export class DynamoTaskStore implements TaskStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string }) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async create(task: Task): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...task, tenantStatus: tenantStatus(task.tenant, task.status) },
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
  }

  async get(id: string, now: Date): Promise<Task | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const task = fromItem(Item);
    return isExpired(task, now) ? undefined : task;
  }

  claim(ref: TaskRef, lease: Lease, now: Date): Promise<Task> {
    return this.#transition(ref, {
      set: {
        status: TaskStatus.Running,
        leaseToken: lease.token,
        leaseExpiresAt: lease.expiresAt,
        startedAt: now.toISOString(),
        updatedAt: now.toISOString(),
      },
      add: { attempt: 1 },
      remove: ["nextRunAt", "progress"],
      condition:
        "attempt < maxAttempts AND (#status IN (:queued, :retrying) OR (#status = :running AND leaseExpiresAt < :nowMs))",
      values: {
        ":queued": TaskStatus.Queued,
        ":retrying": TaskStatus.Retrying,
        ":running": TaskStatus.Running,
        ":nowMs": now.getTime(),
      },
      conflict: `Task ${ref.id} cannot be claimed`,
    });
  }

  complete(ref: TaskRef, leaseToken: string, result: unknown, now: Date): Promise<Task> {
    return this.#transition(ref, {
      set: {
        status: TaskStatus.Succeeded,
        result: result ?? null,
        progress: { percent: 100 },
        finishedAt: now.toISOString(),
        updatedAt: now.toISOString(),
      },
      remove: ["leaseToken", "leaseExpiresAt", "error", "nextRunAt", "checkpoint"],
      ...holdingLease(leaseToken),
      conflict: `Task ${ref.id} is no longer held by this attempt; its result was not recorded`,
    });
  }

  fail(ref: TaskRef, leaseToken: string, error: TaskErrorInfo, now: Date, retryAt?: Date): Promise<Task> {
    const set: Record<string, unknown> = { error, updatedAt: now.toISOString() };
    if (retryAt) {
      set.status = TaskStatus.Retrying;
      set.nextRunAt = retryAt.toISOString();
    } else {
      set.status = TaskStatus.Failed;
      set.finishedAt = now.toISOString();
    }
    return this.#transition(ref, {
      set,
      remove: ["leaseToken", "leaseExpiresAt"],
      ...holdingLease(leaseToken),
      conflict: `Task ${ref.id} is no longer held by this attempt; its failure was not recorded`,
    });
  }

  abandon(ref: TaskRef, expected: readonly TaskStatus[], error: TaskErrorInfo, now: Date): Promise<Task> {
    const values = Object.fromEntries(expected.map((status, i) => [`:expected${i}`, status]));
    return this.#transition(ref, {
      set: { status: TaskStatus.Failed, error, finishedAt: now.toISOString(), updatedAt: now.toISOString() },
      remove: ["leaseToken", "leaseExpiresAt", "nextRunAt"],
      condition: `#status IN (${Object.keys(values).join(", ")})`,
      values,
      conflict: `Task ${ref.id} is not in ${expected.join("/")} any more`,
    });
  }

  async reportProgress(ref: TaskRef, leaseToken: string, progress: TaskProgress, now: Date): Promise<void> {
    await this.#transition(ref, {
      set: { progress, updatedAt: now.toISOString() },
      ...holdingLease(leaseToken),
      conflict: `Task ${ref.id} is no longer held by this attempt; progress was not recorded`,
    });
  }

  async saveCheckpoint(ref: TaskRef, leaseToken: string, checkpoint: unknown, now: Date): Promise<void> {
    await this.#transition(ref, {
      set: { checkpoint, updatedAt: now.toISOString() },
      ...holdingLease(leaseToken),
      conflict: `Task ${ref.id} is no longer held by this attempt; its checkpoint was not recorded`,
    });
  }

  continueLater(ref: TaskRef, leaseToken: string, now: Date): Promise<Task> {
    // The attempt is given back: the next claim adds it again, so continuing never uses up the task's attempts.
    return this.#transition(ref, {
      set: { status: TaskStatus.Queued, updatedAt: now.toISOString() },
      add: { attempt: -1 },
      remove: ["leaseToken", "leaseExpiresAt"],
      ...holdingLease(leaseToken),
      conflict: `Task ${ref.id} is no longer held by this attempt; it was not handed on`,
    });
  }

  /**
   * One guarded UpdateItem. On a failed condition the task is read back (the emulators lack
   * ReturnValuesOnConditionCheckFailure) and handed to the caller inside the error.
   */
  async #transition(
    ref: TaskRef,
    spec: {
      set: Record<string, unknown>;
      add?: Record<string, number>;
      remove?: readonly string[];
      condition: string;
      values: Record<string, unknown>;
      conflict: string;
    },
  ): Promise<Task> {
    const names: Record<string, string> = { "#status": "status" };
    const values: Record<string, unknown> = { ...spec.values, ":tenant": ref.tenant };
    const clauses: string[] = [];

    const sets = Object.entries(spec.set).map(([field, value]) => {
      names[`#${field}`] = field;
      values[`:set_${field}`] = value;
      return `#${field} = :set_${field}`;
    });
    if (typeof spec.set.status === "string") {
      // Keep the index key in step with the status, in the same write.
      names["#tenantStatus"] = "tenantStatus";
      values[":tenantStatus"] = tenantStatus(ref.tenant, spec.set.status as TaskStatus);
      sets.push("#tenantStatus = :tenantStatus");
    }
    if (sets.length) clauses.push(`SET ${sets.join(", ")}`);
    const adds = Object.entries(spec.add ?? {}).map(([field, amount]) => {
      names[`#${field}`] = field;
      values[`:add_${field}`] = amount;
      return `#${field} :add_${field}`;
    });
    if (adds.length) clauses.push(`ADD ${adds.join(", ")}`);
    const removes = (spec.remove ?? []).map((field) => {
      names[`#${field}`] = field;
      return `#${field}`;
    });
    if (removes.length) clauses.push(`REMOVE ${removes.join(", ")}`);

    const input: UpdateCommandInput = {
      TableName: this.#table,
      Key: { id: ref.id },
      UpdateExpression: clauses.join(" "),
      ConditionExpression: `tenant = :tenant AND (${spec.condition})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: "ALL_NEW",
    };
    try {
      const { Attributes } = await this.#client.send(new UpdateCommand(input));
      return fromItem(Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const found = await this.#readRaw(ref);
      throw new TransitionConflictError<Task>(`${spec.conflict} (found: ${found?.status ?? "no task"}).`, found);
    }
  }

  async #readRaw(ref: TaskRef): Promise<Task | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { id: ref.id }, ConsistentRead: true }),
    );
    return Item && Item.tenant === ref.tenant ? fromItem(Item) : undefined;
  }
}

function holdingLease(leaseToken: string) {
  return {
    condition: "#status = :running AND leaseToken = :leaseToken",
    values: { ":running": TaskStatus.Running, ":leaseToken": leaseToken },
  };
}

function fromItem(item: Record<string, unknown>): Task {
  const { tenantStatus: _indexKey, ...task } = item;
  return task as unknown as Task;
}
