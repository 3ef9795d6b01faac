/**
 * Writing answers. Each answer goes out as the status line and every header at once
 * (`writeHead` with Content-Length computed here, then `end`), so node sends headers and body in
 * one write. Every error is in the one shape, `{"error":{"code","message"}}`.
 *
 * Answers are not written the moment they are ready but together, once per turn of the event
 * loop (setImmediate): under load node reads many requests in one turn, and writing their
 * answers in one burst, after the reads, costs far less CPU per request than writing each one in
 * between (0.71 → 1.0 of bare node:http's requests per CPU-second in the serving benchmark;
 * docs/decisions/0003-http-server.md). Idle, it delays an answer by one turn: microseconds.
 */
import { randomUUID } from "node:crypto";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { errorBody, type HttpError, toHttpError } from "../serving/errors.js";
import type { InFlight } from "./in-flight.js";
import { RETRY_AFTER_SECONDS } from "./in-flight.js";
import type { Logger } from "./log.js";

export const JSON_UTF8 = "application/json; charset=utf-8";

/**
 * Answers this big are held in the in-flight budget until the socket has taken them, and must
 * be taken within the write deadline; smaller ones fit in the socket's buffers.
 */
const BIG_ANSWER_BYTES = 64 * 1024;

const answered = Symbol("answered");
type Answerable = ServerResponse & { [answered]?: true };

/** True once an answer has been given (or refused) for `res`: a second one is dropped. */
export const isAnswered = (res: ServerResponse): boolean => (res as Answerable)[answered] === true;
/** Mark `res` as answered by other means (an error written straight to its socket). */
export const markAnswered = (res: ServerResponse): void => {
  (res as Answerable)[answered] = true;
};

export class Responder {
  /**
   * Set while the server stops: every answer then closes its connection, so that a keep-alive
   * connection ends after the answer it was waiting for instead of lingering idle.
   */
  closing = false;
  /** Answers waiting for the end of this turn: response, status, headers, body, … */
  private pending: (ServerResponse | number | OutgoingHttpHeaders | string | readonly Buffer[])[] =
    [];

  constructor(
    private readonly log: Logger,
    private readonly inFlight: InFlight,
    /** How long a big answer may take to be read by the client before it is cut off. */
    private readonly writeMs: number,
  ) {}

  send(
    res: ServerResponse,
    status: number,
    type: string | undefined,
    body: string | readonly Buffer[],
    extra?: OutgoingHttpHeaders,
  ): void {
    // one answer per request, whatever else happens on the connection
    if ((res as Answerable)[answered]) return;
    (res as Answerable)[answered] = true;
    // a string, not a number: node checks header values with a regular expression, slowly for
    // anything but a string
    const bytes = typeof body === "string" ? Buffer.byteLength(body) : totalLength(body);
    const length = `${bytes}`;
    const headers: OutgoingHttpHeaders =
      type === undefined
        ? { "content-length": length }
        : { "content-type": type, "content-length": length };
    if (extra !== undefined) Object.assign(headers, extra);
    if (bytes > BIG_ANSWER_BYTES) this.holdUntilRead(res, bytes);
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending.push(res, status, headers, body);
  }

  /** Count a big answer in the budget until it is gone; cut a client that does not read it. */
  private holdUntilRead(res: ServerResponse, bytes: number): void {
    this.inFlight.hold(res, bytes);
    const cut = setTimeout(() => {
      this.log.warn({ writeMs: this.writeMs }, "client did not read its answer in time: cut");
      res.destroy();
    }, this.writeMs);
    cut.unref();
    res.once("close", () => clearTimeout(cut));
  }

  private readonly flush = (): void => {
    const pending = this.pending;
    this.pending = [];
    const closing = this.closing;
    for (let i = 0; i < pending.length; i += 4) {
      const res = pending[i] as ServerResponse;
      const headers = pending[i + 2] as OutgoingHttpHeaders;
      if (res.destroyed) continue;
      if (closing) headers.connection = "close";
      try {
        const body = pending[i + 3] as string | readonly Buffer[];
        res.writeHead(pending[i + 1] as number, headers);
        if (typeof body === "string") res.end(body);
        else writeParts(res, body);
      } catch (error) {
        // one broken connection must not keep the others from their answers
        this.log.error({ err: error }, "could not write an answer");
        res.destroy();
      }
    }
  };

  error(res: ServerResponse, error: HttpError, extra?: OutgoingHttpHeaders): void {
    if (error.status === 503) extra = { ...extra, "retry-after": `${RETRY_AFTER_SECONDS}` };
    this.send(
      res,
      error.status,
      JSON_UTF8,
      JSON.stringify(errorBody(error.code, error.message)),
      extra,
    );
  }

  /**
   * Answer whatever a route threw: the caller's mistakes as 4xx, anything else as a 500 whose
   * message leaks nothing, logged with a request id that the answer carries in `x-request-id`.
   */
  failure(res: ServerResponse, thrown: unknown): void {
    const error = toHttpError(thrown);
    if (error.status < 500) {
      this.error(res, error);
      return;
    }
    const reqId = randomUUID();
    const req = res.req;
    this.log.error({ reqId, method: req.method, url: req.url, err: thrown }, "request failed");
    this.error(res, error, { "x-request-id": reqId });
  }
}

function totalLength(parts: readonly Buffer[]): number {
  let total = 0;
  for (const part of parts) total += part.length;
  return total;
}

/** Write an answer's parts in one go (one writev), without joining them into one buffer. */
function writeParts(res: ServerResponse, parts: readonly Buffer[]): void {
  res.cork();
  for (const part of parts) res.write(part);
  res.end();
  process.nextTick(() => res.uncork());
}
