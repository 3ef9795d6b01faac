/**
 * API Gateway proxy events, both payload formats, reduced to what a route needs: method, path,
 * lower-cased headers, and the body as text (base64 decoded).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from "aws-lambda";

export type ApiEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

export interface ApiRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** API Gateway's request id, for correlating logs with the caller's error report. */
  requestId: string | undefined;
}

const isV2 = (event: ApiEvent): event is APIGatewayProxyEventV2 =>
  (event as APIGatewayProxyEventV2).version === "2.0";

export function toApiRequest(event: ApiEvent): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const raw = event.body ?? "";
  const body = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
  let method: string;
  let path: string;
  if (isV2(event)) {
    method = event.requestContext?.http?.method ?? "";
    path = event.rawPath ?? "";
    // a named stage's path carries the stage first: /prod/predict
    const stage = event.requestContext?.stage;
    if (stage && stage !== "$default" && path.startsWith(`/${stage}/`))
      path = path.slice(stage.length + 1);
  } else {
    method = event.httpMethod ?? "";
    path = event.path ?? "";
  }
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return {
    method: method.toUpperCase(),
    path,
    headers,
    body,
    requestId: event.requestContext?.requestId,
  };
}
