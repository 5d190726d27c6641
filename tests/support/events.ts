/** Factories for the events Lambda hands our functions (API Gateway HTTP API payload 2.0, SQS). */
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";

export function httpEvent(options: {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
}): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: `${options.method} ${options.path}`,
    rawPath: options.path,
    rawQueryString: new URLSearchParams(options.queryStringParameters ?? {}).toString(),
    headers: options.headers ?? {},
    ...(options.queryStringParameters ? { queryStringParameters: options.queryStringParameters } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "127.0.0.1",
      domainPrefix: "local",
      http: { method: options.method, path: options.path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "vitest" },
      requestId: crypto.randomUUID(),
      routeKey: `${options.method} ${options.path}`,
      stage: "$default",
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: false,
  };
}

export function jsonRequest(path: string, body: unknown): APIGatewayProxyEventV2 {
  return httpEvent({
    method: "POST",
    path,
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

export function lambdaContext(timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "offload-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:offload-test",
    memoryLimitInMB: "1024",
    awsRequestId: crypto.randomUUID(),
    logGroupName: "/aws/lambda/offload-test",
    logStreamName: "test",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
