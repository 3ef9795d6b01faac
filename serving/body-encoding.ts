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

/** The charset parameter of a Content-Type, lower-cased and unquoted; undefined when none. */
export function charsetOf(contentType: string): string | undefined {
  // split, not a regex: a header is untrusted and this must stay linear
  for (const parameter of contentType.split(";").slice(1)) {
    const equals = parameter.indexOf("=");
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== "charset") continue;
    let value = parameter.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    return value.toLowerCase();
  }
  return undefined;
}

/** Throws 415 for a Content-Encoding other than identity, or a charset other than UTF-8/US-ASCII. */
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
  const charset = type === undefined ? undefined : charsetOf(type);
  if (charset !== undefined && !CHARSETS.includes(charset)) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `charset ${JSON.stringify(charset)} is not supported; send the body as UTF-8 (charset=utf-8, or no charset)`,
    );
  }
}
