/** A validated export filter → DynamoDB expressions with placeholders (`#n0`, `:v0`): never string-built values. Pure. */
import type { DatasetExpression, StoredValue } from "../../ports.ts";
import type { DatasetDefinition } from "./datasets.ts";
import type { ConditionOperator, ExportFilter } from "./input.ts";

const COMPARATORS: Partial<Record<ConditionOperator, string>> = { eq: "=", ne: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=" };

export function buildExpression(dataset: DatasetDefinition, filter: ExportFilter | undefined): DatasetExpression | undefined {
  if (!filter) return undefined;
  const names: Record<string, string> = {};
  const values: Record<string, StoredValue> = {};
  const name = (attribute: string) => {
    const placeholder = `#n${Object.keys(names).length}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (scalar: string | number | boolean) => {
    const placeholder = `:v${Object.keys(values).length}`;
    values[placeholder] = toStoredValue(scalar);
    return placeholder;
  };

  const keyCondition =
    filter.partitionKey === undefined ? undefined : `${name(dataset.partitionKey.name)} = ${value(filter.partitionKey)}`;
  const clauses = filter.conditions.map((condition) => {
    const attribute = name(condition.attribute);
    if (condition.op === "exists") {
      return condition.value === false ? `attribute_not_exists(${attribute})` : `attribute_exists(${attribute})`;
    }
    const operand = value(condition.value as string | number | boolean);
    if (condition.op === "begins_with") return `begins_with(${attribute}, ${operand})`;
    return `${attribute} ${COMPARATORS[condition.op]} ${operand}`;
  });
  if (!keyCondition && clauses.length === 0) return undefined;
  return {
    ...(keyCondition ? { keyCondition } : {}),
    ...(clauses.length ? { filter: clauses.join(" AND ") } : {}),
    names,
    values,
  };
}

function toStoredValue(scalar: string | number | boolean): StoredValue {
  if (typeof scalar === "string") return { S: scalar };
  if (typeof scalar === "number") return { N: String(scalar) };
  return { BOOL: scalar };
}
