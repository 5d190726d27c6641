/**
 * TaskStore on DynamoDB: one item per task. Every change is ONE conditional UpdateItem, guarded either by the task's
 * version (writes that hold no lease: claim, cancel, redrive, abandon, sweeper) or by the running attempt's lease.
 * The field changes themselves come from lib/domain/lifecycle.ts.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { type TaskErrorInfo, TransitionConflictError } from "../domain/errors.ts";
import {
  abandonChange,
  type Change,
  cancelChange,
  claimChange,
  completeChange,
  continueChange,
  DEFAULT_TIMING,
  failChange,
  heartbeatChange,
  initialSweepAt,
  type Lease,
  type LifecycleTiming,
  progressChange,
  redriveChange,
  resentChange,
} from "../domain/lifecycle.ts";
import { TaskStatus } from "../domain/status.ts";
import { isExpired, type Task, type TaskProgress } from "../domain/task.ts";
import type { TaskRef, TaskStore } from "../ports.ts";
import { SWEEP_SHARD, taskFromItem, tenantStatusKey } from "./task-items.ts";


type Guard = { readonly version: number } | { readonly leaseToken: string };

export class DynamoTaskStore implements TaskStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #timing: LifecycleTiming;

  constructor(options: { client: DynamoDBDocumentClient; tableName: string; timing?: LifecycleTiming }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#timing = options.timing ?? DEFAULT_TIMING;
  }

  async create(task: Task): Promise<void> {
    const sweepAt = initialSweepAt(task, this.#timing);
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: { ...task, tenantStatus: tenantStatusKey(task.tenant, task.status), sweepAt, sweepShard: SWEEP_SHARD },
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
  }

  async get(id: string, now: Date): Promise<Task | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { id }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const task = taskFromItem(Item);
    return isExpired(task, now) ? undefined : task;
  }

  claim(task: Task, lease: Lease, now: Date): Promise<Task> {
    return this.#apply(task, claimChange(task, lease, now, this.#timing), { version: task.version });
  }

  complete(task: Task, leaseToken: string, result: unknown, now: Date): Promise<Task> {
    return this.#apply(task, completeChange(task, result, now, this.#timing), { leaseToken });
  }

  fail(task: Task, leaseToken: string, error: TaskErrorInfo, now: Date, retryAt?: Date): Promise<Task> {
    return this.#apply(task, failChange(task, error, now, this.#timing, retryAt), { leaseToken });
  }

  abandon(task: Task, error: TaskErrorInfo, now: Date): Promise<Task> {
    return this.#apply(task, abandonChange(task, error, now, this.#timing), { version: task.version });
  }

  continueLater(task: Task, leaseToken: string, now: Date): Promise<Task> {
    return this.#apply(task, continueChange(task, now, this.#timing), { leaseToken });
  }

  cancel(task: Task, now: Date): Promise<Task> {
    return this.#apply(task, cancelChange(task, now, this.#timing), { version: task.version });
  }

  redrive(task: Task, attempts: number, now: Date): Promise<Task> {
    return this.#apply(task, redriveChange(task, attempts, now, this.#timing), { version: task.version });
  }

  markResent(task: Task, now: Date, note: string): Promise<Task> {
    return this.#apply(task, resentChange(task, now, this.#timing, note), { version: task.version });
  }

  async reportProgress(ref: TaskRef, leaseToken: string, progress: TaskProgress, now: Date): Promise<void> {
    await this.#apply(ref, progressChange(progress, now), { leaseToken });
  }

  async saveCheckpoint(ref: TaskRef, leaseToken: string, checkpoint: unknown, now: Date): Promise<void> {
    await this.#apply(ref, { set: { checkpoint, updatedAt: now.toISOString() }, remove: [] }, { leaseToken });
  }

  async heartbeat(ref: TaskRef, leaseToken: string, lease: Lease, now: Date): Promise<void> {
    await this.#apply(ref, heartbeatChange(lease, now), { leaseToken });
  }

  async *dueForSweep(now: Date, pageSize = 100): AsyncGenerator<string> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: "bySweepAt",
          KeyConditionExpression: "sweepShard = :shard AND sweepAt <= :now",
          ExpressionAttributeValues: { ":shard": SWEEP_SHARD, ":now": now.getTime() },
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield String(item.id);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * One guarded UpdateItem. On a failed condition the task is read back (the emulators lack
   * ReturnValuesOnConditionCheckFailure) and handed to the caller inside the error.
   */
  async #apply(ref: TaskRef, change: Change, guard: Guard): Promise<Task> {
    const names: Record<string, string> = { "#version": "version" };
    const values: Record<string, unknown> = { ":tenant": ref.tenant, ":one": 1 };
    const set: Record<string, unknown> = { ...change.set };
    const remove = [...change.remove];
    if (typeof set.status === "string") set.tenantStatus = tenantStatusKey(ref.tenant, set.status);
    if (set.sweepAt !== undefined) set.sweepShard = SWEEP_SHARD;
    if (remove.includes("sweepAt")) remove.push("sweepShard");

    const sets = Object.entries(set).map(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    const removes = remove.map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    let condition: string;
    if ("version" in guard) {
      condition = "#version = :expectedVersion";
      values[":expectedVersion"] = guard.version;
    } else {
      names["#status"] = "status";
      condition = "#status = :running AND leaseToken = :leaseToken";
      values[":running"] = TaskStatus.Running;
      values[":leaseToken"] = guard.leaseToken;
    }
    const input: UpdateCommandInput = {
      TableName: this.#table,
      Key: { id: ref.id },
      UpdateExpression: [
        sets.length ? `SET ${sets.join(", ")}` : "",
        "ADD #version :one",
        removes.length ? `REMOVE ${removes.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join(" "),
      ConditionExpression: `tenant = :tenant AND ${condition}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: "ALL_NEW",
    };
    try {
      const { Attributes } = await this.#client.send(new UpdateCommand(input));
      return taskFromItem(Attributes ?? {});
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const found = await this.#readRaw(ref);
      const expected = "version" in guard ? `version ${guard.version}` : "the attempt's lease";
      throw new TransitionConflictError<Task>(
        `Task ${ref.id} changed under this write (expected ${expected}; found ${found ? `${found.status}, version ${found.version}` : "no task"}).`,
        found,
      );
    }
  }

  async #readRaw(ref: TaskRef): Promise<Task | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { id: ref.id }, ConsistentRead: true }),
    );
    return Item && Item.tenant === ref.tenant ? taskFromItem(Item) : undefined;
  }
}
