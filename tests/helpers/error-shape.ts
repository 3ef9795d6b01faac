/** The one error body every front door answers with: exactly {"error": {"code", "message"}}. */
import assert from "node:assert/strict";

export interface ErrorShape {
  code: string;
  message: string;
}

/** Parse `body` and check it is the error shape (with `code`, when given); returns the error. */
export function expectErrorBody(body: string, code?: string): ErrorShape {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    assert.fail(`error body is not JSON: ${JSON.stringify(body.slice(0, 200))}`);
  }
  assert.ok(
    typeof value === "object" && value !== null && !Array.isArray(value),
    `error body is not an object: ${body.slice(0, 200)}`,
  );
  assert.deepEqual(Object.keys(value), ["error"], `error body has other keys: ${body}`);
  const error = (value as { error: unknown }).error;
  assert.ok(typeof error === "object" && error !== null, `"error" is not an object: ${body}`);
  assert.deepEqual(Object.keys(error).sort(), ["code", "message"], `error keys: ${body}`);
  const { code: actual, message } = error as { code: unknown; message: unknown };
  assert.equal(typeof actual, "string", body);
  assert.equal(typeof message, "string", body);
  assert.ok((message as string).length > 0, `empty error message: ${body}`);
  if (code !== undefined) assert.equal(actual, code, `error code in ${body}`);
  return { code: actual as string, message: message as string };
}

/** The codes each 4xx status may carry: a client can switch on the code alone. */
export const CODES_BY_STATUS: Record<number, readonly string[]> = {
  400: ["bad_json", "bad_input"],
  404: ["not_found"],
  405: ["method_not_allowed"],
  406: ["not_acceptable"],
  413: ["payload_too_large"],
  415: ["unsupported_media_type"],
  431: ["headers_too_large"],
  503: ["model_unavailable"],
};

/** The error shape, with a code that belongs to the status. */
export function expectErrorFor(status: number, body: string): ErrorShape {
  const error = expectErrorBody(body);
  const codes = CODES_BY_STATUS[status];
  assert.ok(codes, `unexpected error status ${status}: ${body}`);
  assert.ok(codes.includes(error.code), `status ${status} with code ${error.code}: ${body}`);
  return error;
}
