/** Errors an HTTP front door answers with, and the one body shape they all share. */
import { InputError } from "../core/input.js";
import { MAX_JSON_DEPTH, scanJson } from "../core/json-scan.js";

/** Every code an error body may carry, and the status it comes with (docs/api.md#errors). */
export const ERROR_STATUS = {
  bad_json: 400,
  bad_input: 400,
  payload_too_large: 413,
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  not_acceptable: 406,
  request_timeout: 408,
  headers_too_large: 431,
  model_unavailable: 503,
  overloaded: 503,
  expectation_failed: 417,
  not_implemented: 501,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class HttpError extends Error {
  override readonly name = "HttpError";
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export const errorBody = (code: ErrorCode, message: string): ErrorBody => ({
  error: { code, message },
});

/**
 * Map anything thrown while answering to an HttpError: bad input is the caller's to fix (400),
 * anything else is ours (500, with a message that leaks nothing).
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof InputError) return new HttpError(400, "bad_input", error.message);
  /* c8 ignore next 5 -- the 500 for a bug: a fuzz run that reaches it has found one and fails */
  return new HttpError(
    500,
    "internal",
    "internal error; the request id in the logs tells what happened",
  );
}

const JSON_ACCEPTED =
  'a JSON measurement object, an array of 4 numbers, or {"instances": [...]} of either';

/**
 * A JSON body's value: 400 for one nested too deep (before JSON.parse, which would take seconds
 * over a few MiB of brackets), not JSON, with a key given twice or a number a double cannot
 * hold (core/json-scan.ts), which JSON.parse would have changed without a word.
 */
export function parseJsonBody(text: string): unknown {
  const scan = scanJson(text);
  if (scan.tooDeep) {
    throw new HttpError(
      400,
      "bad_json",
      `the body nests deeper than ${MAX_JSON_DEPTH} levels; send ${JSON_ACCEPTED} (at most 3 levels)`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // a blank body is not JSON either; it gets its own message (looked for only on failure)
    if (text.trim() === "")
      throw new HttpError(400, "bad_json", `the body is empty; send ${JSON_ACCEPTED}`);
    // gzip's magic number: the client compressed the body without saying so in Content-Encoding
    const hint = text.startsWith("\u001f\ufffd")
      ? "it looks gzip-compressed: send it uncompressed"
      : `send ${JSON_ACCEPTED}`;
    throw new HttpError(
      400,
      "bad_json",
      `the body is not valid JSON (${(error as Error).message}); ${hint}`,
    );
  }
  if (scan.problem) throw scan.problem;
  return value;
}
