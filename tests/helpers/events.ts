/**
 * API Gateway proxy events as API Gateway sends them, built from the documented shapes
 * (REST API payload 1.0 and HTTP API payload 2.0), and a Lambda context to invoke with.
 *   1.0: `headers` keeps the client's case and the last value of each header, beside
 *        `multiValueHeaders`; `path` is the resource path, without the stage.
 *   2.0: header names lower-case, repeated headers joined with commas; `rawPath` carries a named
 *        stage first (`/prod/predict`); no body means no `body` field.
 */
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from "aws-lambda";

export type PayloadFormat = "1.0" | "2.0";
export const FORMATS: readonly PayloadFormat[] = ["1.0", "2.0"];

export interface RequestSpec {
  method: string;
  path: string;
  /** As the client sent them: a record, or pairs when a header is repeated. */
  headers?: Record<string, string> | [string, string][];
  /** The body as text; null or absent for none. */
  body?: string | null;
  /** Raw bytes for the body: always sent base64-encoded, as API Gateway does with binary. */
  bodyBytes?: Uint8Array;
  /** Send `body` base64-encoded (isBase64Encoded: true). */
  base64?: boolean;
  query?: Record<string, string>;
  requestId?: string;
  /** REST: the stage (default "prod"); HTTP API: a named stage, or "$default" (the default). */
  stage?: string;
}

function headerPairs(headers: RequestSpec["headers"]): [string, string][] {
  if (!headers) return [];
  return Array.isArray(headers) ? headers : Object.entries(headers);
}

function encodedBody(spec: RequestSpec): { body: string | null; isBase64Encoded: boolean } {
  if (spec.bodyBytes) {
    return { body: Buffer.from(spec.bodyBytes).toString("base64"), isBase64Encoded: true };
  }
  if (spec.body === undefined || spec.body === null) return { body: null, isBase64Encoded: false };
  if (spec.base64) {
    return { body: Buffer.from(spec.body, "utf8").toString("base64"), isBase64Encoded: true };
  }
  return { body: spec.body, isBase64Encoded: false };
}

const SOURCE_IP = "203.0.113.9";

/** REST API (payload format 1.0). */
export function restEvent(spec: RequestSpec): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of headerPairs(spec.headers)) {
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const stage = spec.stage ?? "prod";
  const query = spec.query ?? null;
  const { body, isBase64Encoded } = encodedBody(spec);
  return {
    resource: spec.path,
    path: spec.path,
    httpMethod: spec.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: "123456789012",
      apiId: "a1b2c3d4e5",
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: spec.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: SOURCE_IP,
        user: null,
        userAgent: "curl/8.5.0",
        userArn: null,
      },
      path: `/${stage}${spec.path}`,
      stage,
      requestId: spec.requestId ?? randomUUID(),
      requestTimeEpoch: 1_700_000_000_000,
      resourceId: "abc123",
      resourcePath: spec.path,
    },
    body,
    isBase64Encoded,
  };
}

/** HTTP API (payload format 2.0). */
export function httpEvent(spec: RequestSpec): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of headerPairs(spec.headers)) {
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
  }
  const stage = spec.stage ?? "$default";
  const rawPath = stage === "$default" ? spec.path : `/${stage}${spec.path}`;
  const { body, isBase64Encoded } = encodedBody(spec);
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: new URLSearchParams(spec.query ?? {}).toString(),
    headers,
    ...(spec.query ? { queryStringParameters: spec.query } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "a1b2c3d4e5",
      domainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "a1b2c3d4e5",
      http: {
        method: spec.method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: SOURCE_IP,
        userAgent: "curl/8.5.0",
      },
      requestId: spec.requestId ?? randomUUID(),
      routeKey: "$default",
      stage,
      time: "14/Nov/2023:22:13:20 +0000",
      timeEpoch: 1_700_000_000_000,
    },
    ...(body === null ? {} : { body }),
    isBase64Encoded,
  };
}

export function apiEvent(
  format: PayloadFormat,
  spec: RequestSpec,
): APIGatewayProxyEvent | APIGatewayProxyEventV2 {
  return format === "1.0" ? restEvent(spec) : httpEvent(spec);
}

/** The Lambda context of one invocation. */
export function lambdaContext(awsRequestId: string = randomUUID()): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "iris-mlops-api",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:iris-mlops-api",
    memoryLimitInMB: "1024",
    awsRequestId,
    logGroupName: "/aws/lambda/iris-mlops-api",
    logStreamName: "2024/01/01/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The two minimal events of docs' aws-contracts.md §3, verbatim. */
export const DOC_REST_EVENT = {
  resource: "/predict",
  path: "/predict",
  httpMethod: "POST",
  headers: { "Content-Type": "application/json" },
  multiValueHeaders: { "Content-Type": ["application/json"] },
  queryStringParameters: null,
  pathParameters: null,
  stageVariables: null,
  requestContext: { requestId: "r-1", stage: "prod", httpMethod: "POST", path: "/prod/predict" },
  body: '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}',
  isBase64Encoded: false,
} as unknown as APIGatewayProxyEvent;

export const DOC_HTTP_EVENT = {
  version: "2.0",
  routeKey: "POST /predict",
  rawPath: "/predict",
  rawQueryString: "",
  headers: { "content-type": "application/json" },
  requestContext: {
    requestId: "r-2",
    stage: "$default",
    http: { method: "POST", path: "/predict", sourceIp: "203.0.113.9" },
  },
  body: "eyJzZXBhbF9sZW5ndGgiOjYuMywic2VwYWxfd2lkdGgiOjMuMywicGV0YWxfbGVuZ3RoIjo2LCJwZXRhbF93aWR0aCI6Mi41fQ==",
  isBase64Encoded: true,
} as unknown as APIGatewayProxyEventV2;

/** A handler's answer with its body parsed as JSON (undefined for an empty body). */
export interface ParsedResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json: unknown;
}

export function parseResult(result: {
  statusCode: number;
  headers?: Record<string, string | number | boolean>;
  body: string;
}): ParsedResult {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  return {
    statusCode: result.statusCode,
    headers,
    body: result.body,
    json: result.body === "" ? undefined : JSON.parse(result.body),
  };
}
