/**
 * The OpenAPI 3.1 document of every front door, answered at `GET /openapi.json` by the server
 * and the Lambda and committed as `openapi.json` (`npm run openapi` writes it; a test checks it
 * is this). Its routes are the catalogue's (serving/routes.ts), its schemas the edge's zod
 * schemas (serving/openapi-schemas.ts), its limits serving/limits.ts's, its error codes
 * serving/errors.ts's: nothing in it is written twice. Which door answers an operation is its
 * `x-doors`; on the Lambda, a protected route takes a SigV4 signature or a JWT when the API is
 * deployed with `auth: "iam"` or `"jwt"`. HEAD is answered wherever GET is, without the body.
 */
import { CSV_TYPE, JSON_TYPE, JSONLINES_TYPE } from "./invocations.js";
import { API_MAX_BODY_BYTES, API_MAX_INSTANCES, INVOCATIONS_MAX_BODY_BYTES } from "./limits.js";
import { MODEL_VERSION_HEADER } from "./model-version-headers.js";
import { componentSchemas, ref, type SchemaName } from "./openapi-schemas.js";
import { type CatalogueRoute, ROUTE_CATALOGUE, type RoutePath } from "./routes.js";

type Json = Record<string, unknown>;

const MIB = 1024 * 1024;
const json = (schema: Json) => ({ [JSON_TYPE]: { schema } });
const text = { type: "string" };
const header = (description: string, required = false, schema: Json = text) => ({
  description,
  required,
  schema,
});
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });
const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

const HEADERS = {
  ModelVersion: header(
    "The version of the model that answered (16 hex digits); on every answer once a model is loaded.",
    false,
    { type: "string", pattern: "^[0-9a-f]{16}$" },
  ),
  AccessControlAllowOrigin: header(
    "CORS, on the Lambda when the API is deployed with allowed origins: the origin allowed, or *.",
  ),
  AccessControlExposeHeaders: header(`CORS: lets a page read ${MODEL_VERSION_HEADER}.`),
  Vary: header("CORS: `origin`, when the answer depends on the caller's origin."),
  Allow: header("The one method the path takes.", true, { type: "string", enum: ["GET", "POST"] }),
  RetryAfter: header("Seconds to wait before retrying (the server's in-flight budget)."),
  ETag: header("The page's entity tag; send it back in If-None-Match for a 304.", true),
  CustomAttributes: header(
    `SageMaker's CustomAttributes: \`model-version=<version>\` (InvokeEndpoint passes no other header of the container's).`,
    true,
    { type: "string", pattern: "^model-version=[0-9a-f]{16}$" },
  ),
};

/** What every answer may carry, and `extra`. */
const answerHeaders = (extra: Record<string, Json> = {}) => ({
  [MODEL_VERSION_HEADER]: headerRef("ModelVersion"),
  "access-control-allow-origin": headerRef("AccessControlAllowOrigin"),
  "access-control-expose-headers": headerRef("AccessControlExposeHeaders"),
  vary: headerRef("Vary"),
  ...extra,
});

const answer = (description: string, schema?: SchemaName, extra?: Record<string, Json>) => ({
  description,
  headers: answerHeaders(extra),
  ...(schema === undefined ? {} : { content: json(ref(schema)) }),
});

const error = (description: string, extra?: Record<string, Json>) =>
  answer(description, "Error", extra);

/** The error answers, by name in `components.responses`; each says its codes. */
const RESPONSES = {
  BadRequest: error(
    "`bad_json`: the body is empty or not JSON. `bad_input`: a measurement is missing, not a number, not finite or ≤ 0, an unknown field, a row of the wrong length, an empty batch, a bad CSV or JSON line (named), a URL or Host that cannot be read, or a Lambda event API Gateway would not send.",
  ),
  NotFound: {
    ...error(
      "`not_found`: no route has this path (answered for any method). Behind API Gateway, a request no route of its table matches (an unknown path, a HEAD, another method of a known path) never reaches the function: API Gateway answers 404 with its own GatewayMessage.",
    ),
    content: json({ oneOf: [ref("Error"), ref("GatewayMessage")] }),
  },
  MethodNotAllowed: error(
    "`method_not_allowed`: the path takes another method, which `Allow` names (answered for every method the path does not take).",
    { allow: headerRef("Allow") },
  ),
  NotAcceptable: error("`not_acceptable`: no type the Accept header allows can be answered."),
  RequestTimeout: error(
    "`request_timeout`: the headers took over 20 s, or the body over 60 s (server).",
  ),
  PayloadTooLarge: error(
    `\`payload_too_large\`: /predict's body is over ${API_MAX_BODY_BYTES} bytes (1 MiB) or holds more than ${API_MAX_INSTANCES} instances; /invocations's is over ${INVOCATIONS_MAX_BODY_BYTES} bytes (${INVOCATIONS_MAX_BODY_BYTES / MIB} MiB).`,
  ),
  UnsupportedMediaType: error(
    "`unsupported_media_type`: a Content-Type that is not a media type (or, on /invocations, not one it reads), a charset other than utf-8 or us-ascii, or a Content-Encoding other than identity.",
  ),
  ExpectationFailed: error("`expectation_failed`: an Expect other than `100-continue`."),
  HeadersTooLarge: error("`headers_too_large`: the headers are over 16 KiB."),
  Internal: error("`internal`: a bug; the message leaks nothing, the logs have the request id."),
  NotImplemented: error(
    "`not_implemented`: a Transfer-Encoding with a coding other than chunked (server).",
  ),
  Unavailable: error(
    "`overloaded`: the server is at its in-flight budget (Retry-After says when to retry). `model_unavailable`: the Lambda could not load its model; the next request tries again.",
    { "retry-after": headerRef("RetryAfter") },
  ),
};

/** API Gateway's own refusals on the Lambda door: its `{"message"}`, never the function's shape. */
const gateway = (description: string) => ({
  description,
  content: json(ref("GatewayMessage")),
});
const GATEWAY_RESPONSES = {
  Unauthorized: gateway(
    "Lambda under auth jwt: API Gateway's JWT authorizer found no token in Authorization, or one it does not accept (issuer, audience, expiry, signature); the function never runs.",
  ),
  Forbidden: gateway(
    "Lambda under auth iam: the request is not SigV4-signed, or its principal has no execute-api:Invoke on the route (grantInvoke); the function never runs.",
  ),
  TooManyRequests: gateway(
    "Lambda: the $default stage's throttle (throttlingRateLimit, throttlingBurstLimit) is exceeded; retry with backoff.",
  ),
};

/** Every operation may meet these: they come from the request line, headers and framing. */
const ANY_ROUTE = {
  "400": responseRef("BadRequest"),
  "405": responseRef("MethodNotAllowed"),
  "408": responseRef("RequestTimeout"),
  "415": responseRef("UnsupportedMediaType"),
  "417": responseRef("ExpectationFailed"),
  "431": responseRef("HeadersTooLarge"),
  "500": responseRef("Internal"),
  "501": responseRef("NotImplemented"),
};
const WITH_BODY = {
  "413": responseRef("PayloadTooLarge"),
  "503": responseRef("Unavailable"),
};

/** A line-based body: text whose lines each are `item` (OpenAPI 3.2 calls it itemSchema). */
const lineBody = (description: string, item: Json) => ({
  schema: { ...text, description },
  "x-item-schema": item,
});

/** What each route takes and answers, besides ANY_ROUTE's. */
const OPERATIONS: Record<RoutePath, Json> = {
  "/": {
    parameters: [{ name: "if-none-match", in: "header", schema: text }],
    responses: {
      "200": {
        description: "The page, self-contained (no CDN); HEAD answers its headers.",
        headers: answerHeaders({ etag: headerRef("ETag") }),
        content: { "text/html": { schema: text } },
      },
      "304": {
        description: "If-None-Match names the page's ETag: it has not changed.",
        headers: answerHeaders({ etag: headerRef("ETag") }),
      },
    },
  },
  "/openapi.json": {
    responses: { "200": { ...answer("This document."), content: json({ type: "object" }) } },
  },
  "/predict": {
    requestBody: {
      required: true,
      description: `JSON (whatever the Content-Type says, if it is a media type), at most ${API_MAX_BODY_BYTES} bytes and ${API_MAX_INSTANCES} instances.`,
      "x-max-body-bytes": API_MAX_BODY_BYTES,
      content: json({ oneOf: [ref("RowObject"), ref("RowArray"), ref("Batch"), ref("Rows")] }),
    },
    responses: {
      "200": {
        ...answer("One flower answers one prediction; a batch, `predictions`."),
        content: json({ oneOf: [ref("PredictionAnswer"), ref("PredictionsAnswer")] }),
      },
      ...WITH_BODY,
    },
  },
  "/health": {
    responses: {
      "200": answer("The model is loaded.", "Health"),
      "503": responseRef("Unavailable"),
    },
  },
  "/ping": { responses: { "200": answer("The model is loaded: the container is healthy.") } },
  "/invocations": {
    parameters: [
      {
        name: "accept",
        in: "header",
        description: `The type to answer in; JSON when absent or */*.`,
        schema: text,
      },
    ],
    requestBody: {
      required: true,
      description: `In its Content-Type (JSON when absent; application/jsonl and application/x-jsonlines read as JSON lines), at most ${INVOCATIONS_MAX_BODY_BYTES} bytes. Line forms answer one line per input line, in order.`,
      "x-max-body-bytes": INVOCATIONS_MAX_BODY_BYTES,
      content: {
        ...json({
          oneOf: [
            ref("RowObject"),
            ref("RowArray"),
            ref("InvocationsBatch"),
            ref("InvocationsRows"),
          ],
        }),
        [CSV_TYPE]: lineBody(
          "One flower per line: 4 numbers, or a first line naming the features in order (a header, answered with no line).",
          text,
        ),
        [JSONLINES_TYPE]: lineBody("One flower per line, as an object or a 4-array.", {
          oneOf: [ref("RowObject"), ref("RowArray")],
        }),
      },
    },
    responses: {
      "200": {
        ...answer("A prediction per row, in the type Accept asked for.", undefined, {
          "x-amzn-sagemaker-custom-attributes": headerRef("CustomAttributes"),
        }),
        content: {
          ...json(ref("PredictionsAnswer")),
          [CSV_TYPE]: lineBody("The species of each row, a line each.", text),
          [JSONLINES_TYPE]: lineBody("Each row's prediction, a line each.", ref("Prediction")),
        },
      },
      "406": responseRef("NotAcceptable"),
      ...WITH_BODY,
    },
  },
  "/execution-parameters": {
    responses: { "200": answer("Batch transform's settings.", "ExecutionParameters") },
  },
  "/metrics": {
    responses: {
      "200": {
        ...answer("Prometheus text exposition format."),
        content: { "text/plain": { schema: text } },
      },
      "404": responseRef("NotFound"),
    },
  },
};

function operation(route: CatalogueRoute): Json {
  const { responses, ...rest } = OPERATIONS[route.path as RoutePath] as { responses: Json };
  const doors = [...(route.server ? ["server"] : []), ...(route.lambda ? ["lambda"] : [])];
  return {
    operationId: route.operationId,
    summary: route.summary,
    "x-doors": doors,
    ...(route.lambda?.access === "protected"
      ? { security: [{}, { sigv4: [] }, { jwt: [] }], "x-lambda-access": "protected" }
      : {}),
    ...rest,
    responses: {
      ...ANY_ROUTE,
      ...(route.lambda?.access === "protected"
        ? { "401": responseRef("Unauthorized"), "403": responseRef("Forbidden") }
        : {}),
      ...(route.lambda
        ? { "404": responseRef("NotFound"), "429": responseRef("TooManyRequests") }
        : {}),
      ...responses,
    },
  };
}

export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const route of ROUTE_CATALOGUE)
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  return {
    openapi: "3.1.0",
    info: {
      title: "iris-mlops",
      version: "1",
      description:
        "Iris species from four measurements, by one Random Forest behind every front door: the HTTP server (`iris-mlops serve`, the SageMaker container) and the Lambda behind API Gateway; `x-doors` says which answers an operation. Every error is the one `Error` shape; an unknown path is `NotFound` and a known one with another method `MethodNotAllowed`. HEAD is answered wherever GET is, without the body, by the server and the Lambda's handler; API Gateway's route table has no HEAD routes, so behind API Gateway a HEAD (like a path's other methods) is API Gateway's own 404. On the Lambda with allowed origins, a preflight (OPTIONS) is answered 204. Details: docs/api.md.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    paths,
    components: {
      schemas: componentSchemas(),
      responses: { ...RESPONSES, ...GATEWAY_RESPONSES },
      headers: HEADERS,
      securitySchemes: {
        sigv4: {
          type: "apiKey",
          in: "header",
          name: "authorization",
          description:
            "AWS SigV4 (service execute-api), on the Lambda's protected routes under `auth: iam`.",
        },
        jwt: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A JWT from the API's issuer, on its protected routes under `auth: jwt`.",
        },
      },
    },
  };
}

let cached: string | undefined;

/** The document as served and committed: 2-space JSON and a newline. */
export const openApiJson = (): string => {
  cached ??= `${JSON.stringify(openApiDocument(), null, 2)}\n`;
  return cached;
};
