/**
 * Reading a request body as UTF-8 text under a byte limit and the process's in-flight budget.
 * A declared Content-Length over the limit is refused before a byte is read; a body without one
 * (chunked) is refused as soon as the bytes received pass the limit. The bytes are copied into
 * one buffer (sized from Content-Length, or grown by doubling), never kept as the chunks they
 * came in: a body sent one byte per chunk would otherwise hold a Buffer (and the 64 KiB read
 * slab behind it) per byte, 2.8 GB for 6 MiB. The text is decoded strictly: invalid UTF-8 is a
 * 400, not replacement characters that triple the size. After a refusal the rest of the body
 * is read and dropped, so that the client gets to read the answer and the connection stays
 * usable, up to twice the limit; a client that sends more than that is cut off. A client that
 * waits for `100 Continue` is told to send only once the body is to be read (continue.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ErrorCode, HttpError } from "../serving/errors.js";
import { decodeUtf8Body } from "../serving/utf8-body.js";
import { sendContinue } from "./continue.js";
import type { InFlight } from "./in-flight.js";

/**
 * Called once: with the text (and the bytes it was decoded from, for a caller that reads them
 * directly), or with the error to answer; never if the client goes away. The
 * body's bytes stay reserved in `inFlight` until `release` is called (when the answer is gone).
 */
export type BodyCallback = (error: HttpError | undefined, text: string, bytes: Buffer) => void;

const NO_BYTES = Buffer.alloc(0);

export function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    "payload_too_large",
    `the body is over the limit of ${limit} bytes; send fewer rows per request`,
  );
}

/** First size of a body's buffer; doubled as it fills, up to the declared length or the limit. */
const FIRST_BODY_BYTES = 16 * 1024;

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

export interface BodyOptions {
  limit: number;
  inFlight: InFlight;
  /** The code of the 400 for a body that is not UTF-8: bad_json where JSON was expected. */
  invalidUtf8: ErrorCode;
}

export function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  { limit, inFlight, invalidUtf8 }: BodyOptions,
  done: BodyCallback,
): void {
  const header = req.headers["content-length"];
  const declared = header === undefined ? undefined : Number(header);
  if (declared !== undefined && declared > limit) {
    discardRest(req, 0, limit);
    done(tooLarge(limit), "", NO_BYTES);
    return;
  }
  let buffer: Buffer | undefined;
  let size = 0;
  const refuse = (error: HttpError) => {
    req.removeListener("data", onData);
    req.removeListener("end", onEnd);
    buffer = undefined;
    discardRest(req, size, limit);
    done(error, "", NO_BYTES);
  };
  /** Room for `bytes` in the buffer, from the budget; false when the budget is spent. */
  const grow = (bytes: number): boolean => {
    const capacity = buffer?.length ?? 0;
    if (bytes <= capacity) return true;
    // grown with what arrives, never to a declared length up front: a client that declares
    // 6 MiB and sends nothing more must not hold 6 MiB of the budget
    const next = Math.min(
      limit,
      declared ?? limit,
      Math.max(FIRST_BODY_BYTES, capacity * 2, bytes),
    );
    if (!inFlight.reserve(res, next - capacity)) return false;
    const bigger = Buffer.allocUnsafe(next);
    if (buffer !== undefined) buffer.copy(bigger, 0, 0, size);
    buffer = bigger;
    return true;
  };
  const onData = (chunk: Buffer) => {
    if (size + chunk.length > limit) {
      size += chunk.length;
      refuse(tooLarge(limit));
      return;
    }
    if (!grow(size + chunk.length)) {
      refuse(inFlight.busy());
      return;
    }
    chunk.copy(buffer as Buffer, size);
    size += chunk.length;
  };
  const onEnd = () => {
    let text: string;
    const bytes = buffer === undefined ? NO_BYTES : buffer.subarray(0, size);
    try {
      text = decodeUtf8Body(bytes, invalidUtf8);
    } catch (error) {
      done(error as HttpError, "", NO_BYTES);
      return;
    }
    buffer = undefined;
    done(undefined, text, bytes);
  };
  // the first slice of a declared body is reserved before a byte is read, so that a busy server
  // says so at once; the rest as it arrives
  if (declared !== undefined && declared > 0 && !grow(Math.min(declared, FIRST_BODY_BYTES))) {
    refuse(inFlight.busy());
    return;
  }
  sendContinue(res);
  req.on("data", onData);
  req.on("end", onEnd);
}
