/**
 * API Gateway proxy events, both payload formats, checked at the edge and reduced to what a
 * route needs: method, path, lower-cased headers, and the body as text (base64 decoded, strict
 * UTF-8). An event that is not one API Gateway would send (a null event, a body that is not a
 * string, `isBase64Encoded: "false"`, no method, path or requestContext) is a 400 that says
 * what is wrong; headers past the server's limit are a 431, as they are on the server.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import * as z from "zod/mini";
import { safeParseEnglish } from "../core/zod-english.js";
import { checkMediaType } from "../server/media-type.js";
import { checkBodyEncoding } from "../serving/body-encoding.js";
import { HttpError } from "../serving/errors.js";
import { decodeUtf8Body } from "../serving/utf8-body.js";

export type ApiEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

export interface ApiRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** API Gateway's request id, for correlating logs with the caller's error report. */
  requestId: string | undefined;
}

const nonEmpty = () => z.string().check(z.minLength(1));

const common = {
  headers: z.nullish(z.record(z.string(), z.string())),
  body: z.nullish(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
};

const v2Event = z.object({
  ...common,
  version: z.literal("2.0"),
  rawPath: nonEmpty(),
  requestContext: z.object({
    http: z.object({ method: nonEmpty() }),
    stage: z.optional(z.string()),
    requestId: z.optional(z.string()),
  }),
});

const v1Event = z.object({
  ...common,
  httpMethod: nonEmpty(),
  path: nonEmpty(),
  requestContext: z.object({ requestId: z.optional(z.string()) }),
});

/**
 * The most header bytes (names and values, UTF-8) an event may carry: node's limit, which the
 * server answers 431 beyond. API Gateway's own limit is lower (10 KB), so only an event that
 * did not come through it (a direct invoke) passes this.
 */
export const MAX_EVENT_HEADER_BYTES = 16 * 1024;

function badEvent(problem: string): HttpError {
  return new HttpError(400, "bad_input", `not an API Gateway proxy event: ${problem}`);
}

/** Why `event` is refused, from the first issue zod found, in the event's own field names. */
function describeIssue(error: z.core.$ZodError): string {
  // the event is an object (checked first), so every issue is at one of its fields
  const issue = error.issues[0] as z.core.$ZodIssue;
  return `${issue.path.join(".")}: ${issue.message}`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The body as text, as the HTTP server reads it: base64 strictly (Buffer.from skips what is not
 * base64, which would answer for a body that was not sent), and a leading byte-order mark
 * dropped, as TextDecoder drops it.
 */
function decodeBody(raw: string, base64: boolean): string {
  if (!base64) return raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (raw.length % 4 !== 0 || !BASE64.test(raw))
    throw badEvent("isBase64Encoded is true but the body is not valid base64");
  const bytes = Buffer.from(raw, "base64");
  // one spelling per body: bits set after the last byte (`…1=` for `…0=`) are not base64's
  if (bytes.toString("base64") !== raw)
    throw badEvent(
      "isBase64Encoded is true but the body is not canonical base64 (bits set in its padding)",
    );
  return decodeUtf8Body(bytes, "bad_json");
}

export function toApiRequest(event: unknown): ApiRequest {
  if (typeof event !== "object" || event === null || Array.isArray(event))
    throw badEvent(`expected an object, got ${event === null ? "null" : typeof event}`);
  const isV2 = (event as { version?: unknown }).version === "2.0";
  const parsed = safeParseEnglish(isV2 ? v2Event : v1Event, event);
  if (!parsed.success) throw badEvent(describeIssue(parsed.error));
  const data = parsed.data;
  const headers: Record<string, string> = {};
  let headerBytes = 0;
  for (const [name, value] of Object.entries(data.headers ?? {})) {
    headerBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
    // names differing only in case are one header (payload 1.0 keeps each spelling): join
    // them, as node:http does, so that no spelling can hide another from the checks
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  if (headerBytes > MAX_EVENT_HEADER_BYTES) {
    throw new HttpError(
      431,
      "headers_too_large",
      `the headers are ${headerBytes} bytes; the limit is ${MAX_EVENT_HEADER_BYTES} (send fewer or shorter headers)`,
    );
  }
  // a body's declared type and encoding are checked before its bytes are read (a gzip body
  // arrives base64), as the server checks them: a Content-Type that is no media type is a 415
  if (data.body) {
    checkMediaType(headers["content-type"]);
    checkBodyEncoding(headers);
  }
  const body = decodeBody(data.body ?? "", data.isBase64Encoded === true);
  let method: string;
  let path: string;
  if ("version" in data) {
    method = data.requestContext.http.method;
    path = data.rawPath;
    // a named stage's path carries the stage first: /prod/predict
    const stage = data.requestContext.stage;
    if (stage && stage !== "$default" && path.startsWith(`/${stage}/`))
      path = path.slice(stage.length + 1);
  } else {
    method = data.httpMethod;
    path = data.path;
  }
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return {
    method: method.toUpperCase(),
    path,
    headers,
    body,
    requestId: data.requestContext.requestId,
  };
}
