/**
 * Presigned URLs checked as S3 checks them (SigV4 query authentication): the six X-Amz-* parameters, the credential
 * (one of the emulator's known access keys), the signature over the method, path, query and signed headers (`host`,
 * `content-length`, `content-type`, ... — whatever X-Amz-SignedHeaders names, with the values this request carries),
 * then the expiry. A refusal is the S3 error real S3 answers, so a signing bug fails here as it would on AWS.
 *
 * The expected signature is computed by @smithy/signature-v4 (the AWS SDK's own signer), presigning the request as
 * received with the URL's date, scope and expiry: the emulator parses, the library canonicalises and signs.
 * Requests signed in the Authorization header (the SDK's own calls) are not checked here.
 */
import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HeaderBag, HttpRequest, QueryParameterBag, SourceData } from "@smithy/types";
import type { S3Error } from "./s3-answers.ts";

/**
 * Access key id → secret access key: the only credentials the emulator knows. `test`/`test` is what everything local
 * signs with (tests/support/stack.ts, OFFLINE_AWS_ENV in infra/serverless-config.ts, and so `npm start`'s functions).
 */
export const EMULATOR_CREDENTIALS: ReadonlyMap<string, string> = new Map([["test", "test"]]);

/** The query parameters of SigV4 query authentication, all required once any of them is present. */
const AUTH_PARAMETERS = [
  "X-Amz-Algorithm",
  "X-Amz-Credential",
  "X-Amz-Signature",
  "X-Amz-Date",
  "X-Amz-SignedHeaders",
  "X-Amz-Expires",
] as const;
const ALGORITHM = "AWS4-HMAC-SHA256";
const MAX_EXPIRES_SECONDS = 7 * 24 * 60 * 60;
/** How far in the future X-Amz-Date may be (clock skew) before S3 answers "Request is not yet valid". */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The payload a presigned URL signs: it cannot know the body. */
const PAYLOAD_HASH_HEADER = "x-amz-content-sha256";
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

/** What the verifier needs of a request: its method, its target as sent (raw path + query) and its headers. */
export interface ReceivedRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: IncomingHttpHeaders;
}

export interface VerifyOptions {
  readonly credentials?: ReadonlyMap<string, string>;
  readonly now?: Date;
}

/** Whether the request authenticates with query parameters (a presigned URL) rather than a header. */
export function isPresigned(target: string): boolean {
  const query = new URLSearchParams(target.split("?")[1] ?? "");
  return AUTH_PARAMETERS.some((name) => query.has(name));
}

/** Checks a presigned request; resolves with the S3 error to answer, or `undefined` when S3 would let it through. */
export async function verifyPresignedUrl(request: ReceivedRequest, options: VerifyOptions = {}): Promise<S3Error | undefined> {
  const credentials = options.credentials ?? EMULATOR_CREDENTIALS;
  const now = options.now ?? new Date();
  const [path = "/", rawQuery = ""] = splitOnce(request.target, "?");
  const query = new URLSearchParams(rawQuery);

  const missing = AUTH_PARAMETERS.filter((name) => !query.has(name));
  if (missing.length > 0) {
    return badParameters(
      "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    );
  }
  const param = (name: (typeof AUTH_PARAMETERS)[number]) => query.get(name)!;
  if (param("X-Amz-Algorithm") !== ALGORITHM) return badParameters(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const [accessKeyId = "", scopeDate, region, service, terminator, ...extra] = param("X-Amz-Credential").split("/");
  if (!scopeDate || !region || !service || terminator !== "aws4_request" || extra.length > 0) {
    return badParameters(
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    );
  }
  const signedAt = parseAmzDate(param("X-Amz-Date"));
  if (!signedAt) return badParameters(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`);
  if (param("X-Amz-Date").slice(0, 8) !== scopeDate) {
    return badParameters("Invalid credential date. Date is not the same as X-Amz-Date.");
  }
  const expires = param("X-Amz-Expires");
  if (!/^-?\d+$/.test(expires)) return badParameters("X-Amz-Expires should be a number");
  const expiresIn = Number(expires);
  if (expiresIn < 0) return badParameters("X-Amz-Expires must be non-negative");
  if (expiresIn > MAX_EXPIRES_SECONDS) {
    return badParameters(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_EXPIRES_SECONDS}`);
  }

  const secretAccessKey = credentials.get(accessKeyId);
  if (secretAccessKey === undefined) {
    return {
      status: 403,
      code: "InvalidAccessKeyId",
      message: "The AWS Access Key Id you provided does not exist in our records.",
      details: { AWSAccessKeyId: accessKeyId },
    };
  }
  const signedHeaders = new Set(param("X-Amz-SignedHeaders").split(";"));
  const notSigned = Object.keys(request.headers).filter(
    (name) => name.startsWith("x-amz-") && name !== PAYLOAD_HASH_HEADER && !signedHeaders.has(name),
  );
  if (notSigned.length > 0) {
    return {
      status: 403,
      code: "AccessDenied",
      message: "There were headers present in the request which were not signed",
      details: { HeadersNotSigned: notSigned.join(", ") },
    };
  }

  const signer = new RecordingSigner({
    credentials: { accessKeyId, secretAccessKey, sessionToken: query.get("X-Amz-Security-Token") ?? undefined },
    region,
    service,
    sha256: NodeSha256,
    uriEscapePath: false, // S3 signs the path as sent, not encoded twice
    applyChecksum: false,
  });
  const headers: HeaderBag = { [PAYLOAD_HASH_HEADER]: UNSIGNED_PAYLOAD };
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const toSign: HttpRequest = {
    method: request.method,
    protocol: "http:",
    hostname: String(request.headers.host ?? "").replace(/:\d+$/, ""),
    path,
    query: queryBag(query),
    headers,
  };
  const presigned = await signer.presign(toSign, {
    signingDate: signedAt,
    expiresIn,
    signingRegion: region,
    signingService: service,
    signableHeaders: signedHeaders,
    unsignableHeaders: signedHeaders.has(PAYLOAD_HASH_HEADER) ? new Set() : new Set([PAYLOAD_HASH_HEADER]),
    unhoistableHeaders: new Set(Object.keys(headers)),
  });
  const provided = param("X-Amz-Signature");
  if (!sameHex(String(presigned.query?.["X-Amz-Signature"] ?? ""), provided)) {
    return {
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
      details: {
        AWSAccessKeyId: accessKeyId,
        StringToSign: signer.stringToSign,
        SignatureProvided: provided,
        CanonicalRequest: signer.canonicalRequest,
      },
    };
  }

  const expiresAt = new Date(signedAt.getTime() + expiresIn * 1000);
  if (now > expiresAt) {
    return {
      status: 403,
      code: "AccessDenied",
      message: "Request has expired",
      details: { "X-Amz-Expires": expiresIn, Expires: isoSeconds(expiresAt), ServerTime: isoSeconds(now) },
    };
  }
  if (signedAt.getTime() > now.getTime() + MAX_CLOCK_SKEW_MS) {
    return {
      status: 403,
      code: "AccessDenied",
      message: "Request is not yet valid",
      details: { "X-Amz-Date": signedAt.getTime(), Expires: isoSeconds(expiresAt), ServerTime: isoSeconds(now) },
    };
  }
  return undefined;
}

/** SignatureV4 that keeps the canonical request and string to sign it built, for the SignatureDoesNotMatch answer. */
class RecordingSigner extends SignatureV4 {
  canonicalRequest = "";
  stringToSign = "";

  protected override createCanonicalRequest(request: HttpRequest, canonicalHeaders: HeaderBag, payloadHash: string): string {
    this.canonicalRequest = super.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    return this.canonicalRequest;
  }

  protected override async createStringToSign(
    longDate: string,
    credentialScope: string,
    canonicalRequest: string,
    algorithmIdentifier: string,
  ): Promise<string> {
    this.stringToSign = await super.createStringToSign(longDate, credentialScope, canonicalRequest, algorithmIdentifier);
    return this.stringToSign;
  }
}

/** SHA-256 (and HMAC-SHA256 when given a secret) from node:crypto, in the shape the signer takes. */
class NodeSha256 {
  readonly #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function bytes(data: SourceData): Uint8Array {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function badParameters(message: string): S3Error {
  return { status: 400, code: "AuthorizationQueryParametersError", message };
}

/** `20130524T000000Z` → a Date, or undefined when it is not that format. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return date.getUTCDate() === day && date.getUTCHours() === hour ? date : undefined;
}

function queryBag(query: URLSearchParams): QueryParameterBag {
  const bag: QueryParameterBag = {};
  for (const name of new Set(query.keys())) {
    const values = query.getAll(name);
    bag[name] = values.length === 1 ? values[0]! : values;
  }
  return bag;
}

function sameHex(expected: string, provided: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(provided);
  return a.length === b.length && timingSafeEqual(a, b);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
