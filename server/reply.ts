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
import type { Logger } from "./log.js";

export const JSON_UTF8 = "application/json; charset=utf-8";

export class Responder {
  /**
   * Set while the server stops: every answer then closes its connection, so that a keep-alive
   * connection ends after the answer it was waiting for instead of lingering idle.
   */
  closing = false;
  /** Answers waiting for the end of this turn: response, status, headers, body, … */
  private pending: (ServerResponse | number | OutgoingHttpHeaders | string)[] = [];

  constructor(private readonly log: Logger) {}

  send(
    res: ServerResponse,
    status: number,
    type: string | undefined,
    body: string,
    extra?: OutgoingHttpHeaders,
  ): void {
    // a string, not a number: node checks header values with a regular expression, slowly for
    // anything but a string
    const length = `${Buffer.byteLength(body)}`;
    const headers: OutgoingHttpHeaders =
      type === undefined
        ? { "content-length": length }
        : { "content-type": type, "content-length": length };
    if (extra !== undefined) Object.assign(headers, extra);
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending.push(res, status, headers, body);
  }

  private readonly flush = (): void => {
    const pending = this.pending;
    this.pending = [];
    const closing = this.closing;
    for (let i = 0; i < pending.length; i += 4) {
      const res = pending[i] as ServerResponse;
      const headers = pending[i + 2] as OutgoingHttpHeaders;
      if (closing) headers.connection = "close";
      try {
        res.writeHead(pending[i + 1] as number, headers).end(pending[i + 3] as string);
      } catch (error) {
        // one broken connection must not keep the others from their answers
        this.log.error({ err: error }, "could not write an answer");
        res.destroy();
      }
    }
  };

  error(res: ServerResponse, error: HttpError, extra?: OutgoingHttpHeaders): void {
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
