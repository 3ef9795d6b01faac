/**
 * Reading a request body as UTF-8 text under a byte limit. A declared Content-Length over the
 * limit is refused before a byte is read; a body without one (chunked) is refused as soon as
 * the bytes received pass the limit. Nothing over the limit is kept: after a refusal the rest
 * of the body is read and dropped, so that the client gets to read the 413 and the connection
 * stays usable, up to twice the limit; a client that sends more than that is cut off.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "../serving/errors.js";

/** Called once: with the text, or with the 413 to answer; never if the client goes away. */
export type BodyCallback = (error: HttpError | undefined, text: string) => void;

export function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    "payload_too_large",
    `the body is over the limit of ${limit} bytes; send fewer rows per request`,
  );
}

/**
 * Drop what is left of a refused body of which `received` bytes were read; once the body
 * passes twice the limit, stop reading it and close the connection.
 */
function discardRest(req: IncomingMessage, received: number, limit: number): void {
  let size = received;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > 2 * limit) req.destroy();
  });
  req.resume();
}

export function readBody(req: IncomingMessage, limit: number, done: BodyCallback): void {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) {
    discardRest(req, 0, limit);
    done(tooLarge(limit), "");
    return;
  }
  let first: Buffer | undefined;
  let more: Buffer[] | undefined;
  let size = 0;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      req.removeListener("data", onData);
      req.removeListener("end", onEnd);
      first = undefined;
      more = undefined;
      discardRest(req, size, limit);
      done(tooLarge(limit), "");
      return;
    }
    if (first === undefined) first = chunk;
    else if (more === undefined) more = [first, chunk];
    else more.push(chunk);
  };
  const onEnd = () => {
    const bytes = more !== undefined ? Buffer.concat(more, size) : first;
    done(undefined, bytes === undefined ? "" : bytes.toString("utf8"));
  };
  req.on("data", onData);
  req.on("end", onEnd);
}
