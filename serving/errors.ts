/** Errors an HTTP front door answers with, and the one body shape they all share. */
import { InputError } from "../core/input.js";

export type ErrorCode =
  | "bad_json"
  | "bad_input"
  | "payload_too_large"
  | "not_found"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "not_acceptable"
  | "request_timeout"
  | "headers_too_large"
  | "model_unavailable"
  | "overloaded"
  | "expectation_failed"
  | "not_implemented"
  | "internal";

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
  return new HttpError(
    500,
    "internal",
    "internal error; the request id in the logs tells what happened",
  );
}

const JSON_ACCEPTED =
  'a JSON measurement object, an array of 4 numbers, or {"instances": [...]} of either';

/**
 * How deep a body may nest: `{"instances": [[...]]}` is 3 levels. A body of a few MiB of `[`
 * is valid JSON that JSON.parse takes seconds over in one step, starving every other request.
 */
export const MAX_JSON_DEPTH = 8;

/** Whether `text` nests past MAX_JSON_DEPTH; one pass, strings skipped. */
function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

export function parseJsonBody(text: string): unknown {
  if (tooDeep(text)) {
    throw new HttpError(
      400,
      "bad_json",
      `the body nests deeper than ${MAX_JSON_DEPTH} levels; send ${JSON_ACCEPTED} (at most 3 levels)`,
    );
  }
  try {
    return JSON.parse(text);
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
}
