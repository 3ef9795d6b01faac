/**
 * How a request body is encoded, as its headers say: we read UTF-8 (or its subset US-ASCII) with
 * no content coding. Anything else is refused with 415 naming it, rather than read as UTF-8 and
 * answered with a puzzling "not valid JSON". Shared by the server and the Lambda, which gets the
 * client's headers (and a compressed body base64-encoded) from API Gateway.
 */
import { HttpError } from "./errors.js";

const CHARSETS = ["utf-8", "us-ascii"];

/** Header values by lower-case name, as node:http and handlers/events.ts give them. */
export type BodyHeaders = Readonly<Record<string, string | string[] | undefined>>;

const first = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value.join(", ") : value;

/** Every charset parameter of a Content-Type, lower-cased and unquoted, in order. */
export function charsetsOf(contentType: string): string[] {
  const charsets: string[] = [];
  // split, not a regex: a header is untrusted and this must stay linear
  for (const parameter of contentType.split(";").slice(1)) {
    const equals = parameter.indexOf("=");
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== "charset") continue;
    let value = parameter.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    charsets.push(value.toLowerCase());
  }
  return charsets;
}

/**
 * Throws 415 for a Content-Encoding other than identity, or a charset other than UTF-8/US-ASCII
 * or named more than once (readers differ on which one counts, so neither is guessed).
 */
export function checkBodyEncoding(headers: BodyHeaders): void {
  const encoding = first(headers["content-encoding"])?.trim();
  if (encoding && encoding.toLowerCase() !== "identity") {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `Content-Encoding ${JSON.stringify(encoding)} is not supported; send the body uncompressed (no Content-Encoding, or identity)`,
    );
  }
  const type = first(headers["content-type"]);
  const charsets = type === undefined ? [] : charsetsOf(type);
  if (charsets.length > 1) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `the Content-Type names a charset ${charsets.length} times (${charsets.map((c) => JSON.stringify(c)).join(", ")}); name one: charset=utf-8, or no charset`,
    );
  }
  const charset = charsets[0];
  if (charset !== undefined && !CHARSETS.includes(charset)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `charset ${JSON.stringify(charset)} is not supported; send the body as UTF-8 (charset=utf-8, or no charset)`,
    );
  }
}
