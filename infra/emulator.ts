/**
 * The embedded AWS emulator: DynamoDB (dynalite) and SQS + S3 (fauxqs) behind ONE http port, so that a single
 * `AWS_ENDPOINT_URL` serves every SDK client, exactly as LocalStack does. In-memory; bound to 127.0.0.1 only.
 *
 * Requests whose `x-amz-target` header starts with `DynamoDB_` go to dynalite; everything else goes to fauxqs.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import dynalite from "dynalite";
import { buildApp } from "fauxqs";

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

/**
 * fauxqs names queues `sqs.<region>.localhost:<port>`, a host that does not resolve everywhere, and the SDK sends SQS
 * calls to the QueueUrl's host. With an empty `host` its store builds queue URLs from the request's own Host header
 * (`127.0.0.1:4566`), which always resolves. The store classes are not in the package's export map, so they are
 * loaded from beside its entry point.
 */
async function echoHostStores() {
  const dist = pathToFileURL(`${packageDir("fauxqs")}/dist/`);
  const [{ SqsStore }, { SnsStore }, { S3Store }] = await Promise.all([
    import(new URL("sqs/sqsStore.js", dist).href),
    import(new URL("sns/snsStore.js", dist).href),
    import(new URL("s3/s3Store.js", dist).href),
  ]);
  const sqsStore = new SqsStore();
  sqsStore.host = "";
  return { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() };
}

/** Where a package is installed, found as Node would: the nearest node_modules above this file. */
function packageDir(name: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error(`Package ${name} is not installed.`);
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const dynamo: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoHandler = dynamo.listeners("request")[0] as (req: IncomingMessage, res: ServerResponse) => void;

  const fauxqs = buildApp({ logger: false, stores: await echoHostStores() });
  await fauxqs.ready();

  const server = createServer((req, res) => {
    const target = req.headers["x-amz-target"];
    if (typeof target === "string" && target.startsWith("DynamoDB_")) {
      dynamoHandler(req, res);
      return;
    }
    // Stands in for the results bucket's CORS rule (infra/resources.yml), which fauxqs does not implement: the
    // dashboard PUTs uploads straight to the bucket from the API's origin.
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
    fauxqs.routing(req, res);
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
      await fauxqs.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}
