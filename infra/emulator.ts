/**
 * The embedded AWS emulator: DynamoDB (dynalite) and SQS + S3 (fauxqs) behind ONE http port, so that a single
 * `AWS_ENDPOINT_URL` serves every SDK client, exactly as LocalStack does. In-memory; bound to 127.0.0.1 only.
 *
 * The front router sends requests whose `x-amz-target` header starts with `DynamoDB_` to dynalite. Everything else is
 * SQS or S3, and there it stands in for what fauxqs lacks and S3 does:
 * - presigned URLs are checked as S3 checks them (signature, signed headers, expiry: emulator/presigned-url.ts), with
 *   the emulator's known credentials; requests signed in the Authorization header (the SDK's own) are not checked;
 * - object and part PUTs are taken up to S3's 5 GiB limit (emulator/s3-put.ts) — fauxqs refuses bodies over 11 MiB;
 * - the results bucket's CORS rule, so that the dashboard can PUT uploads straight to the bucket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
import { buildFauxqs, type Fauxqs } from "./emulator/fauxqs.ts";
import { isPresigned, verifyPresignedUrl } from "./emulator/presigned-url.ts";
import { sendS3Error } from "./emulator/s3-answers.ts";
import { bodyPut, storeBodyPut } from "./emulator/s3-put.ts";

export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. Default 4566, LocalStack's. */
  readonly port?: number;
}

export interface RunningEmulator {
  /** The endpoint to give the SDK, e.g. `http://127.0.0.1:4566`. */
  readonly endpoint: string;
  readonly port: number;
  /**
   * Takes the HTTP front end down (every open connection cut) for `downMs`, then listens again on the same port. The
   * stores keep their data: this models a service outage, or a restart of an emulator that persists its state.
   */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

const HOST = "127.0.0.1";

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const dynamo: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoHandler = dynamo.listeners("request")[0] as (req: IncomingMessage, res: ServerResponse) => void;
  const fauxqs = await buildFauxqs();

  const server = createServer((req, res) => {
    const target = req.headers["x-amz-target"];
    if (typeof target === "string" && target.startsWith("DynamoDB_")) {
      dynamoHandler(req, res);
      return;
    }
    routeSqsOrS3(req, res, fauxqs).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendS3Error(res, { status: 500, code: "InternalError", message: String(error) }, req.method);
    });
  });
  server.keepAliveTimeout = 5_000;

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, HOST, () => {
        server.off("error", reject);
        resolve();
      });
    });
  const close = () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    return closed;
  };
  await listen(options.port ?? 4566);
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://${HOST}:${port}`,
    port,
    async restart(downMs) {
      await close();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await listen(port);
    },
    async stop() {
      await close();
      await fauxqs.app.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

async function routeSqsOrS3(req: IncomingMessage, res: ServerResponse, fauxqs: Fauxqs): Promise<void> {
  // Stands in for the results bucket's CORS rule (infra/resources.yml), which fauxqs does not implement: the
  // dashboard PUTs uploads straight to the bucket from the API's origin. A preflight carries no signature to check.
  res.setHeader("access-control-allow-origin", "*");
  res.setHeader("access-control-expose-headers", "etag");
  if (req.method === "OPTIONS") {
    res.writeHead(204, {
      "access-control-allow-methods": "GET, PUT, HEAD",
      "access-control-allow-headers": req.headers["access-control-request-headers"] ?? "content-type",
      "access-control-max-age": "3000",
    });
    res.end();
    return;
  }
  const target = req.url ?? "/";
  if (isPresigned(target)) {
    const refusal = await verifyPresignedUrl({ method: req.method ?? "GET", target, headers: req.headers });
    if (refusal) {
      sendS3Error(res, refusal, req.method);
      return;
    }
  }
  const put = bodyPut(req);
  if (put) {
    await storeBodyPut(req, res, put, fauxqs);
    return;
  }
  fauxqs.app.routing(req, res);
}
