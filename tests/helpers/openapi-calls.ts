/**
 * Calls to a front door whose every answer is checked against the OpenAPI document
 * (openapi-check.ts) before the test sees it: the server over a real socket on 127.0.0.1, the
 * Lambda through its handler with an API Gateway event. A test that asks through these cannot
 * see an answer the document does not describe.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Predictor } from "../../core/predictor.js";
import { type ApiHandler, createApiHandler } from "../../handlers/api.js";
import type { Served } from "./app-servers.js";
import { captureOutput } from "./capture-output.js";
import { apiEvent, lambdaContext } from "./events.js";
import { checkAnswer, type SeenAnswer } from "./openapi-check.js";
import { parseResponse } from "./raw-http.js";

export interface Ask {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Claim this Content-Length and send no body (a 413 is answered from the header alone). */
  claimedLength?: number;
}

/** Ask the server over a socket (one request, `Connection: close`); the answer is checked. */
export async function askServer(served: Served, ask: Ask): Promise<SeenAnswer> {
  const connection = await served.open();
  const body = ask.body ?? "";
  const length = ask.claimedLength ?? Buffer.byteLength(body);
  const headers = Object.entries({
    host: "127.0.0.1",
    connection: "close",
    ...(length > 0 || ask.method === "POST" ? { "content-length": `${length}` } : {}),
    ...ask.headers,
  })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  await connection.write(
    `${ask.method} ${ask.url} HTTP/1.1\r\n${headers}\r\n${ask.claimedLength ? "" : body}`,
  );
  // Connection: close: the whole answer is what came before the server closed
  await connection.serverCloses();
  const { received } = connection;
  const end = received.indexOf("\r\n\r\n");
  const head = parseResponse(`${received.slice(0, end)}\r\ncontent-length: 0\r\n\r\n`);
  const { status, headers: answerHeaders } = head as NonNullable<typeof head>;
  // a HEAD or 304 answer's Content-Length is the GET's: its body is whatever came
  const answerBody =
    ask.method === "HEAD" || status === 304
      ? received.slice(end + 4)
      : (parseResponse(received) as NonNullable<typeof head>).body;
  const seen = {
    door: "server" as const,
    method: ask.method,
    url: ask.url,
    status,
    headers: answerHeaders,
    body: answerBody,
  };
  checkAnswer(seen);
  return seen;
}

/** A Lambda handler for `loadModel`, built as lambda.ts builds it, with its output captured. */
export async function lambdaFor(
  loadModel: () => Promise<Predictor>,
  corsOrigins: readonly string[] = [],
): Promise<ApiHandler> {
  const [handler] = await captureOutput(async () => {
    const created = createApiHandler({
      loadModel,
      logger: new Logger({ serviceName: "iris-mlops" }),
      metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
      corsOrigins,
    });
    await new Promise((resolve) => setImmediate(resolve)); // let the init load settle
    return created;
  });
  return handler;
}

/** Ask the Lambda handler with an HTTP API (payload 2.0) event; the answer is checked. */
export async function askLambda(handler: ApiHandler, ask: Ask): Promise<SeenAnswer> {
  const [path, query] = ask.url.split("?") as [string, string | undefined];
  const event = apiEvent("2.0", {
    method: ask.method,
    path,
    headers: ask.headers,
    body: ask.body,
    ...(query ? { query: Object.fromEntries(new URLSearchParams(query)) } : {}),
  });
  const [result] = await captureOutput(() => handler(event, lambdaContext()));
  const seen = {
    door: "lambda" as const,
    method: ask.method,
    url: ask.url,
    status: result.statusCode,
    headers: result.headers ?? {},
    body: result.body,
  };
  checkAnswer(seen);
  return seen;
}
