/**
 * Seeds demo orders `from` … `to - 1` (scripts/demo-data.ts `demoOrder`), so that a benchmark can grow one table in
 * steps and measure at each size. The customer count is fixed, so an item does not depend on the final size.
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { demoOrder } from "../../demo-data.ts";

const CUSTOMERS = 2_500;

export async function seedRange(client: DynamoDBDocumentClient, tableName: string, from: number, to: number, concurrency = 8) {
  let next = from;
  const worker = async () => {
    while (next < to) {
      const start = next;
      next = Math.min(to, start + 25);
      let requests = Array.from({ length: next - start }, (_, k) => ({
        PutRequest: { Item: demoOrder(start + k, to, { customers: CUSTOMERS }) },
      }));
      for (let round = 0; requests.length > 0; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** round)));
        const { UnprocessedItems } = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
