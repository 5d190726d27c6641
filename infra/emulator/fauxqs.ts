/**
 * fauxqs (SQS + S3), built for the front router: its Fastify app, and the pieces of it the router uses directly — the
 * S3 store (to store bodies fauxqs' 11 MiB body limit would refuse) and its aws-chunked decoder. The store classes and
 * the decoder are not in the package's export map, so they are loaded from beside its entry point (fauxqs 1.9).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildApp } from "fauxqs";

/** What the front router calls on fauxqs' S3 store. Errors it throws carry S3's `code` and HTTP `statusCode`. */
export interface FauxqsS3Store {
  putObject(bucket: string, key: string, body: Buffer, contentType: string, metadata: Record<string, string>): { etag: string };
  uploadPart(uploadId: string, partNumber: number, body: Buffer): string;
}

export interface Fauxqs {
  readonly app: ReturnType<typeof buildApp>;
  readonly s3Store: FauxqsS3Store;
  /** Decodes an `aws-chunked` body (the SDK's streaming uploads with trailing checksums) to the object's bytes. */
  readonly decodeAwsChunked: (body: Buffer) => Buffer;
}

export async function buildFauxqs(): Promise<Fauxqs> {
  const dist = pathToFileURL(`${packageDir("fauxqs")}/dist/`);
  const load = (path: string) => import(new URL(path, dist).href);
  const [{ SqsStore }, { SnsStore }, { S3Store }, { decodeAwsChunked }] = await Promise.all([
    load("sqs/sqsStore.js"),
    load("sns/snsStore.js"),
    load("s3/s3Store.js"),
    load("s3/chunkedEncoding.js"),
  ]);
  // fauxqs names queues `sqs.<region>.localhost:<port>`, a host that does not resolve everywhere, and the SDK sends SQS
  // calls to the QueueUrl's host. With an empty `host` its store builds queue URLs from the request's own Host header
  // (`127.0.0.1:4566`), which always resolves.
  const sqsStore = new SqsStore();
  sqsStore.host = "";
  const s3Store = new S3Store();
  const app = buildApp({ logger: false, stores: { sqsStore, snsStore: new SnsStore(), s3Store } });
  await app.ready();
  return { app, s3Store, decodeAwsChunked };
}

/** Where a package is installed, found as Node would: the nearest node_modules above this file. */
function packageDir(name: string): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) throw new Error(`Package ${name} is not installed.`);
  }
}
