/**
 * Whether a Content-Type header is a media type at all (`type/subtype`, RFC 9110 tokens,
 * parameters after a `;`). A body labelled with something that is not ("foo bar", "json", an
 * empty header) is refused with 415 before it is read, on every route that reads a body, as the
 * fastify server did. Whether the route can read that type is the route's business.
 */
import type { IncomingHttpHeaders } from "node:http";
import { checkBodyEncoding } from "../serving/body-encoding.js";
import { HttpError } from "../serving/errors.js";

const TOKEN = "[\\w!#$%&'*+.^`|~-]+";
const MEDIA_TYPE = new RegExp(`^\\s*${TOKEN}/${TOKEN}\\s*(?:;|$)`);

/** The last header found valid: a client sends the same one again and again. */
let lastValid = "application/json";

/** Throws 415 for a Content-Type that is present but not a media type. */
export function checkMediaType(header: string | undefined): void {
  if (header === undefined || header === lastValid) return;
  if (MEDIA_TYPE.test(header)) {
    lastValid = header;
    return;
  }
  throw new HttpError(
    415,
    "unsupported_media_type",
    `Content-Type ${JSON.stringify(header)} is not a valid media type`,
  );
}

/** Throws 415 for a body the server cannot read: not a media type, compressed, not UTF-8. */
export function checkBodyHeaders(headers: IncomingHttpHeaders): void {
  checkMediaType(headers["content-type"]);
  checkBodyEncoding(headers);
}
