/**
 * S3's answers as the front router writes them: the request-id headers S3 puts on every response, and S3's XML error
 * document — `<Error><Code>…</Code><Message>…</Message>(details…)<RequestId>…</RequestId><HostId>…</HostId></Error>`,
 * the shape the SDK parses into an exception named after the code.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";

/** One S3 error: HTTP status, S3's code and message, and the extra elements S3 adds for this code. */
export interface S3Error {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** Elements between Message and RequestId, in order (e.g. `X-Amz-Expires`, `Expires`, `ServerTime`). */
  readonly details?: Readonly<Record<string, string | number>>;
}

/** `x-amz-request-id` and `x-amz-id-2`, which S3 sends with every answer (and support asks for). */
export function requestIdHeaders(): Record<string, string> {
  return { "x-amz-request-id": randomBytes(8).toString("hex").toUpperCase(), "x-amz-id-2": "offload-emulator" };
}

/** The XML document S3 answers an error with. */
export function s3ErrorXml(error: S3Error, requestId: string): string {
  const elements: [string, string | number][] = [
    ["Code", error.code],
    ["Message", error.message],
    ...Object.entries(error.details ?? {}),
    ["RequestId", requestId],
    ["HostId", "offload-emulator"],
  ];
  const body = elements.map(([name, value]) => `<${name}>${escapeXml(String(value))}</${name}>`).join("");
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${body}</Error>`;
}

/**
 * Answers `error`, as S3 does: XML, or no body for HEAD. The request body may still be on its way (a refused upload);
 * Node reads and drops what is left once the answer is sent, so the client sees this answer rather than a reset.
 */
export function sendS3Error(res: ServerResponse, error: S3Error, method: string | undefined): void {
  const headers = requestIdHeaders();
  if (method === "HEAD") {
    res.writeHead(error.status, headers).end();
    return;
  }
  const xml = s3ErrorXml(error, headers["x-amz-request-id"]!);
  res.writeHead(error.status, { ...headers, "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
  res.end(xml);
}

/** Escapes element text (`&`, `<`, `>`): the documents have no attributes. */
function escapeXml(text: string): string {
  return text.replace(/[<>&]/g, (char) => `&#${char.charCodeAt(0)};`);
}
