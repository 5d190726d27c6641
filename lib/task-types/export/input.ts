/**
 * The `export` task's input, checked at enqueue against the dataset allow-list: an unknown dataset, column or
 * filter attribute, or a malformed condition, is a 400 with the offending path, and nothing is written.
 */
import { z } from "zod";
import { type DatasetDefinition, datasetIds, findDataset } from "./datasets.ts";

export const CONDITION_OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "begins_with", "exists"] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

const scalar = z.union([z.string().max(1024), z.number().finite(), z.boolean()]);

const condition = z
  .object({
    attribute: z.string().min(1).max(255),
    op: z.enum(CONDITION_OPERATORS),
    /** Required by every operator but `exists`, where it is an optional boolean (false: the attribute is missing). */
    value: scalar.optional(),
  })
  .strict();

export type ExportCondition = z.output<typeof condition>;

const filter = z
  .object({
    /** Query only this partition (the dataset's partition key) instead of scanning the whole table. */
    partitionKey: z.union([z.string().min(1).max(2048), z.number().finite()]).optional(),
    /** All must hold (AND). */
    conditions: z.array(condition).max(20).default([]),
  })
  .strict();

export type ExportFilter = z.output<typeof filter>;

export const exportInput = z
  .object({
    dataset: z.string().min(1).max(64),
    filter: filter.optional(),
    /** Attributes to export, in this order (default: the dataset's default columns). */
    columns: z.array(z.string().min(1).max(255)).min(1).max(100).optional(),
    format: z.enum(["csv", "jsonl"]).default("csv"),
    gzip: z.boolean().default(false),
    /** Start a CSV with a UTF-8 byte order mark, so that Excel reads it as UTF-8. */
    bom: z.boolean().default(false),
    /**
     * CSV only (ignored for JSON Lines): prefix `'` to text cells that start with `=` `+` `-` `@` TAB or CR, so that a
     * spreadsheet shows them rather than running them as formulas (OWASP). `false` writes the data byte for byte.
     */
    escapeFormulas: z.boolean().default(true),
  })
  .strict()
  .superRefine((input, ctx) => {
    const dataset = findDataset(input.dataset);
    if (!dataset) {
      ctx.addIssue({
        code: "custom",
        path: ["dataset"],
        message: `Unknown dataset ${JSON.stringify(input.dataset)}; known datasets: ${datasetIds().join(", ")}.`,
      });
      return;
    }
    const known = new Set(dataset.attributes);
    const seen = new Set<string>();
    input.columns?.forEach((column, i) => {
      if (!known.has(column)) ctx.addIssue({ code: "custom", path: ["columns", i], message: unknownAttribute(column, dataset) });
      else if (seen.has(column)) ctx.addIssue({ code: "custom", path: ["columns", i], message: `Column ${column} is listed twice.` });
      seen.add(column);
    });
    if (input.bom && input.format !== "csv") {
      ctx.addIssue({ code: "custom", path: ["bom"], message: "`bom` applies to CSV only." });
    }
    const partitionKey = input.filter?.partitionKey;
    if (partitionKey !== undefined && typeof partitionKey !== (dataset.partitionKey.type === "S" ? "string" : "number")) {
      ctx.addIssue({
        code: "custom",
        path: ["filter", "partitionKey"],
        message: `The partition key ${dataset.partitionKey.name} is a ${dataset.partitionKey.type === "S" ? "string" : "number"}.`,
      });
    }
    input.filter?.conditions.forEach((c, i) => {
      const path = ["filter", "conditions", i];
      if (!known.has(c.attribute)) ctx.addIssue({ code: "custom", path: [...path, "attribute"], message: unknownAttribute(c.attribute, dataset) });
      const problem = conditionProblem(c);
      if (problem) ctx.addIssue({ code: "custom", path: [...path, "value"], message: problem });
    });
  });

export type ExportInput = z.output<typeof exportInput>;

function conditionProblem(c: ExportCondition): string | undefined {
  if (c.op === "exists") return c.value === undefined || typeof c.value === "boolean" ? undefined : "`exists` takes true or false.";
  if (c.value === undefined) return `\`${c.op}\` needs a value.`;
  if (c.op === "begins_with" && typeof c.value !== "string") return "`begins_with` needs a string.";
  if (["lt", "lte", "gt", "gte"].includes(c.op) && typeof c.value === "boolean") return `\`${c.op}\` compares strings or numbers.`;
  return undefined;
}

function unknownAttribute(name: string, dataset: DatasetDefinition): string {
  return `Unknown attribute ${JSON.stringify(name)} in dataset ${dataset.id}; known: ${dataset.attributes.join(", ")}.`;
}
