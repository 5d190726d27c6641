import { describe, expect, it } from "vitest";
import { ValidationError } from "../../lib/domain/errors.ts";
import { builtInTaskTypes, TaskTypeRegistry } from "../../lib/task-types/registry.ts";
import { validateEnqueueRequest } from "../../lib/use-cases/enqueue.ts";

const deps = { taskTypes: new TaskTypeRegistry(builtInTaskTypes()) };

function codeOf(body: unknown): string | undefined {
  try {
    validateEnqueueRequest(body, deps);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).code;
  }
}

describe("enqueue validation", () => {
  it("accepts a known type and fills the input's defaults", () => {
    const { type, input } = validateEnqueueRequest({ type: "echo", input: { message: "hi" } }, deps);
    expect(type.name).toBe("echo");
    expect(input).toEqual({ message: "hi", sleepMs: 0, steps: 1, failAttempts: 0, failPermanently: false });
  });

  it.each([
    ["a body that is not an object", [1, 2], "invalid_request"],
    ["a missing type", { input: {} }, "invalid_request"],
    ["a type that is not a string", { type: 7 }, "invalid_request"],
    ["an unexpected top-level field", { type: "echo", extra: true }, "invalid_request"],
    ["an unknown type", { type: "nope" }, "unknown_task_type"],
    ["input failing the type's schema", { type: "echo", input: { sleepMs: -1 } }, "invalid_input"],
    ["input with an unknown field", { type: "echo", input: { colour: "red" } }, "invalid_input"],
  ])("refuses %s", (_what, body, code) => {
    expect(codeOf(body)).toBe(code);
  });

  it("names the known types when the type is unknown", () => {
    try {
      validateEnqueueRequest({ type: "nope" }, deps);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).details).toMatchObject({ type: "nope", knownTypes: expect.arrayContaining(["echo", "export"]) });
    }
  });
});
