/** The task types a deployment runs. An unknown type is refused at enqueue. */
import { ValidationError } from "../domain/errors.ts";
import { echoTaskType } from "./echo.ts";
import { exportTaskType } from "./export/export.ts";
import { thumbnailTaskType } from "./thumbnail/index.ts";
import type { AnyTaskType } from "./task-type.ts";

export class TaskTypeRegistry {
  readonly #types: ReadonlyMap<string, AnyTaskType>;

  constructor(types: readonly AnyTaskType[]) {
    const byName = new Map<string, AnyTaskType>();
    for (const type of types) {
      if (byName.has(type.name)) throw new Error(`Task type ${type.name} is registered twice.`);
      byName.set(type.name, type);
    }
    this.#types = byName;
  }

  names(): string[] {
    return [...this.#types.keys()].sort();
  }

  find(name: string): AnyTaskType | undefined {
    return this.#types.get(name);
  }

  /** The type, or a 400-class error naming the known types. */
  get(name: string): AnyTaskType {
    const type = this.#types.get(name);
    if (!type) {
      throw new ValidationError("unknown_task_type", `Unknown task type ${JSON.stringify(name)}.`, {
        type: name,
        knownTypes: this.names(),
      });
    }
    return type;
  }
}

/** Every task type Offload ships. */
export function builtInTaskTypes(): AnyTaskType[] {
  return [echoTaskType, exportTaskType, thumbnailTaskType] as unknown as AnyTaskType[];
}
