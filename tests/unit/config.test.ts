import { describe, expect, it } from "vitest";
import { ConfigError, readConfig } from "../../lib/config.ts";

const complete = {
  TASKS_TABLE: "t",
  TASK_QUEUE_NAME: "q",
  DEAD_LETTER_QUEUE_NAME: "dlq",
  RESULTS_BUCKET: "b",
  ORDERS_TABLE: "o",
  API_KEYS_TABLE: "k",
  WATCH_TOKEN_SECRET_NAME: "s",
};

describe("readConfig", () => {
  it("reads the environment into a frozen object with defaults", () => {
    const config = readConfig(complete);
    expect(config).toMatchObject({ tasksTable: "t", taskRetentionDays: 30, maxRequestBytes: 65536 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("names the missing variable", () => {
    expect(() => readConfig({ ...complete, TASKS_TABLE: undefined })).toThrow(/TASKS_TABLE/);
  });

  it("spots an unresolved CloudFormation reference", () => {
    expect(() => readConfig({ ...complete, RESULTS_BUCKET: "[object Object]" })).toThrow(ConfigError);
  });

  it("refuses a malformed number", () => {
    expect(() => readConfig({ ...complete, TASK_RETENTION_DAYS: "soon" })).toThrow(/TASK_RETENTION_DAYS/);
  });

  it("trusts the local gateway's content-type header only when OFFLOAD_LOCAL_GATEWAY=true (npm start)", () => {
    expect(readConfig(complete).localGateway).toBe(false);
    expect(readConfig({ ...complete, OFFLOAD_LOCAL_GATEWAY: "true" }).localGateway).toBe(true);
    expect(() => readConfig({ ...complete, OFFLOAD_LOCAL_GATEWAY: "yes" })).toThrow(/OFFLOAD_LOCAL_GATEWAY/);
  });
});
