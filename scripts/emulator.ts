/**
 * `npm run emulator`: only the embedded AWS emulator (DynamoDB + SQS + S3 on 127.0.0.1:4566, or OFFLOAD_EMULATOR_PORT),
 * for poking with the AWS CLI (`aws --endpoint-url http://127.0.0.1:4566 ...`) or for running `npm start` against it
 * as if it were LocalStack. In memory: everything is gone when it stops.
 */
import { startEmulator } from "../infra/emulator.ts";

const emulator = await startEmulator({ port: Number(process.env.OFFLOAD_EMULATOR_PORT ?? 4566) });
console.log(`AWS emulator (DynamoDB, SQS, S3) listening on ${emulator.endpoint}; Ctrl-C stops it.`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await emulator.stop();
    process.exit(0);
  });
}
