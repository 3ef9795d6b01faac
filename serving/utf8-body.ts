/**
 * A request body's bytes as text: strict UTF-8, as the server and the Lambda both read bodies. A
 * body that is not UTF-8 is refused with what was received and what to send; one that starts
 * with gzip's magic number was compressed without a Content-Encoding saying so, and is told so.
 */
import { type ErrorCode, HttpError } from "./errors.js";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** `code` is the error code for this route's body (`bad_json` for JSON, `bad_input` for lines). */
export function decodeUtf8Body(bytes: Uint8Array, code: ErrorCode): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    const hint =
      bytes[0] === 0x1f && bytes[1] === 0x8b
        ? "it looks gzip-compressed: send it uncompressed"
        : "send UTF-8 text";
    throw new HttpError(
      400,
      code,
      `the body is not valid UTF-8 (${bytes.length} bytes received); ${hint}`,
    );
  }
}
