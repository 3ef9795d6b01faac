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
 *
 * A large /invocations answer is the exception: it is written a slice at a time as the socket
 * takes it (`stream`), so that one nobody reads holds a slice, not tens of megabytes.
 *
 * Every answer carries the headers given as `everyAnswer` (the model's version), whichever route
 * or refusal it comes from.
 */
import { randomUUID } from "node:crypto";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { errorBody, type HttpError, toHttpError } from "../serving/errors.js";
import type { SlicedText } from "./answer-text.js";
import { continueWithheld } from "./continue.js";
import { whenGone } from "./gone.js";
import type { InFlight } from "./in-flight.js";
import { RETRY_AFTER_SECONDS } from "./in-flight.js";
import type { Logger } from "./log.js";
import { SLICE_MS, type Slice, takeTurns } from "./slices.js";

export const JSON_UTF8 = "application/json; charset=utf-8";

/**
 * Told of every answer as it is written, with its status: `res` is undefined for node's
 * refusal of bytes that never became a request (server/http-server.ts). Metrics count here.
 */
export type AnswerObserver = (res: ServerResponse | undefined, status: number) => void;

/**
 * Answers this big hold their bytes in the in-flight budget until the socket has taken them
 * (a 503 when it has no room), and must be taken within the write deadline; smaller ones fit
 * in the socket's buffers.
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
  private pending: (ServerResponse | number | OutgoingHttpHeaders | string)[] = [];

  constructor(
    private readonly log: Logger,
    private readonly inFlight: InFlight,
    /** How long a big answer may take to be read by the client before it is cut off. */
    private readonly writeMs: number,
    /** Headers on every answer, e.g. `x-model-version`. */
    readonly everyAnswer: Readonly<Record<string, string>> = {},
    /** Told of every answer (server/metrics.ts); nothing when not given. */
    readonly observer?: AnswerObserver,
  ) {}

  send(
    res: ServerResponse,
    status: number,
    type: string | undefined,
    body: string,
    extra?: OutgoingHttpHeaders,
  ): void {
    // one answer per request, whatever else happens on the connection
    if ((res as Answerable)[answered]) return;
    const bytes = Buffer.byteLength(body);
    if (bytes > BIG_ANSWER_BYTES && !this.holdUntilRead(res, bytes)) {
      this.error(res, this.inFlight.busy());
      return;
    }
    (res as Answerable)[answered] = true;
    const headers = answerHeaders(type, bytes, this.everyAnswer);
    if (extra !== undefined) Object.assign(headers, extra);
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending.push(res, status, headers, body);
  }

  /**
   * Answer with `text`, written a slice at a time as the socket takes it: the next slice is
   * made only once the socket has room (its 'drain'), so an answer that is not read holds one
   * slice in the server, and one that is read goes out at the socket's pace. A small one is
   * sent whole, with the others of this turn.
   */
  stream(
    res: ServerResponse,
    status: number,
    type: string,
    text: SlicedText,
    extra?: OutgoingHttpHeaders,
  ): void {
    if (text.bytes <= BIG_ANSWER_BYTES) {
      let whole = "";
      for (let slice = text.slice(); slice !== undefined; slice = text.slice()) whole += slice;
      this.send(res, status, type, whole, extra);
      return;
    }
    if ((res as Answerable)[answered] || res.destroyed) return;
    (res as Answerable)[answered] = true;
    this.cutIfUnread(res);
    const headers = answerHeaders(type, text.bytes, this.everyAnswer);
    if (extra !== undefined) Object.assign(headers, extra);
    if (this.closing) headers.connection = "close";
    // a slice of the answer per turn, in turn with the batches being predicted (slices.ts)
    const pump: Slice = () => {
      const deadline = performance.now() + SLICE_MS;
      try {
        while (!res.destroyed) {
          const slice = text.slice();
          if (slice === undefined) {
            // headers sent before the stop said keep-alive: close once the answer is out
            if (this.closing && !headers.connection) {
              const socket = res.socket;
              res.once("finish", () => socket?.destroySoon());
            }
            res.end();
            return false;
          }
          if (!res.write(slice)) {
            res.once("drain", () => takeTurns(pump));
            return false;
          }
          if (performance.now() > deadline) return true;
        }
      } catch (error) {
        // never a 200 cut short under its Content-Length: the client sees the connection fail
        this.log.error({ err: error }, "could not write an answer");
        res.destroy();
      }
      return false;
    };
    try {
      res.writeHead(status, headers);
    } catch (error) {
      this.log.error({ err: error }, "could not write an answer");
      res.destroy();
      return;
    }
    // observed once its last byte is out, or once it was cut while being written
    const observer = this.observer;
    if (observer !== undefined) whenGone(res, () => observer(res, status));
    takeTurns(pump);
  }

  /**
   * Count a big answer in the budget until it is gone (false when it has no room), and cut a
   * client that does not read it.
   */
  private holdUntilRead(res: ServerResponse, bytes: number): boolean {
    // the body it answers has been read and dropped: its bytes are the answer's now
    this.inFlight.release(res);
    if (!this.inFlight.reserve(res, bytes)) return false;
    this.cutIfUnread(res);
    return true;
  }

  /** Cut the connection of a client that has not taken its answer within the write deadline. */
  private cutIfUnread(res: ServerResponse): void {
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
      if (closing || continueWithheld(res)) headers.connection = "close";
      const status = pending[i + 1] as number;
      this.observer?.(res, status);
      try {
        res.writeHead(status, headers);
        res.end(pending[i + 3] as string);
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

function answerHeaders(
  type: string | undefined,
  bytes: number,
  everyAnswer: Readonly<Record<string, string>>,
): OutgoingHttpHeaders {
  // a string, not a number: node checks header values with a regular expression, slowly for
  // anything but a string
  const length = `${bytes}`;
  return type === undefined
    ? { "content-length": length, ...everyAnswer }
    : { "content-type": type, "content-length": length, ...everyAnswer };
}
