/**
 * The node:http server around a request listener: timeouts for slow clients, keep-alive, a cap
 * on open connections, HTTP errors node catches before a request exists (a malformed request,
 * headers too large, a timeout) and headers refused before routing (a second Host, a transfer
 * coding other than chunked) answered in the one error shape, and a graceful stop.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type ErrorCode, errorBody, HttpError } from "../serving/errors.js";
import { Connections, DEFAULT_MAX_CONNECTIONS } from "./connections.js";
import { awaitContinue } from "./continue.js";
import { isAnswered, JSON_UTF8, markAnswered, type Responder } from "./reply.js";
import type { Handler } from "./router.js";

export interface Timeouts {
  /** From a request's first byte to its last header; then 408. */
  headersMs: number;
  /** From a request's first byte to its last body byte; then 408. */
  requestMs: number;
  /** How long an idle keep-alive connection is kept. */
  keepAliveMs: number;
  /** From a big answer's being ready to its last byte taken by the socket; then the connection is cut. */
  writeMs: number;
}

export const DEFAULT_TIMEOUTS: Timeouts = {
  headersMs: 20_000,
  // SageMaker gives /invocations 60 s to answer; a body still arriving by then is useless
  requestMs: 60_000,
  // longer than the 60 s idle timeout of load balancers, so that they close first (fastify's)
  keepAliveMs: 72_000,
  // a reading client takes a 37 MB answer in well under a second on a LAN
  writeMs: 30_000,
};

/** A response written straight to the socket, for errors node raises before a request exists. */
function rawError(status: number, reason: string, code: ErrorCode, message: string): string {
  const body = JSON.stringify(errorBody(code, message));
  return (
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: ${JSON_UTF8}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

const NOT_CHUNKED_LAST =
  "the last transfer coding of a request must be chunked (RFC 9112 §6.3); send the body with Content-Length or Transfer-Encoding: chunked";

const CLIENT_ERRORS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: rawError(
    408,
    "Request Timeout",
    "request_timeout",
    "the request took too long to arrive",
  ),
  HPE_HEADER_OVERFLOW: rawError(
    431,
    "Request Header Fields Too Large",
    "headers_too_large",
    "the request's headers are too large",
  ),
};
const BAD_REQUEST = rawError(400, "Bad Request", "bad_input", "the request is not valid HTTP/1.1");

/**
 * node's answers under HPE_INVALID_TRANSFER_ENCODING, by the parser's reason: it refuses some
 * of these before a request exists, others after (refusedHeaders).
 */
const TRANSFER_ENCODING_ERRORS: Record<string, string> = {
  "Transfer-Encoding can't be present with Content-Length": rawError(
    400,
    "Bad Request",
    "bad_input",
    "the request has both Content-Length and Transfer-Encoding (RFC 9112 §6.3); send one of them",
  ),
  "Invalid `Transfer-Encoding` header value": rawError(
    400,
    "Bad Request",
    "bad_input",
    "Transfer-Encoding must name chunked once, as its last coding, with nothing after it (RFC 9112 §6.1, §7); send the body with Content-Length or Transfer-Encoding: chunked",
  ),
};
const INVALID_TRANSFER_ENCODING = rawError(
  400,
  "Bad Request",
  "bad_input",
  "the request's Transfer-Encoding is not valid: chunked must be its last coding, named once, and Content-Length must not come with it (RFC 9112 §6.1, §6.3); send the body with Content-Length or Transfer-Encoding: chunked",
);

/** `raw` with `lines` (header lines, each ending in CRLF) after its status line. */
function withHeaderLines(raw: string, lines: string): string {
  if (lines === "") return raw;
  const end = raw.indexOf("\r\n") + 2;
  return raw.slice(0, end) + lines + raw.slice(end);
}

/** What to answer an error node raised while parsing. */
function clientErrorAnswer(error: NodeJS.ErrnoException & { reason?: string }): string {
  if (error.code === "HPE_INVALID_TRANSFER_ENCODING")
    return TRANSFER_ENCODING_ERRORS[error.reason ?? ""] ?? INVALID_TRANSFER_ENCODING;
  return CLIENT_ERRORS[error.code ?? ""] ?? BAD_REQUEST;
}

/** The response of the last request node parsed on a socket (set by the request listener). */
const lastResponse = Symbol("last response");
type TrackedSocket = Socket & {
  [lastResponse]?: ServerResponse;
  /** node's: the response being written on the socket; the pipelined ones wait behind it. */
  _httpMessage?: ServerResponse | null;
};

/** Run `then` once the socket has written every answer before `own` (the errored request's). */
function afterEarlierAnswers(
  socket: TrackedSocket,
  own: ServerResponse | undefined,
  then: () => void,
) {
  if (socket.destroyed) return;
  const busy = socket._httpMessage;
  if (!busy || busy === own || busy.writableFinished) {
    then();
    return;
  }
  busy.once("close", () => setImmediate(() => afterEarlierAnswers(socket, own, then)));
}

/**
 * An error node raised while parsing: answered once, after the answers to the requests before
 * it on the connection (a pipelined request's answer must come first), then the connection is
 * closed. When the broken request already has its answer (a 413 while its body was being
 * discarded), it gets no second one.
 */
function onClientError(
  error: NodeJS.ErrnoException,
  socket: TrackedSocket,
  headerLines: string,
  reply: Responder,
): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const last = socket[lastResponse];
  const own = last !== undefined && !last.req.complete ? last : undefined;
  if (own !== undefined && isAnswered(own)) {
    afterEarlierAnswers(socket, undefined, () => socket.destroySoon());
    return;
  }
  if (own !== undefined) markAnswered(own);
  const answer = withHeaderLines(clientErrorAnswer(error), headerLines);
  // "HTTP/1.1 408 …": the status is the second word
  reply.observer?.(own, Number(answer.slice(9, 12)));
  afterEarlierAnswers(socket, own, () => socket.write(answer, () => socket.destroy()));
}

const NO_HOST = rawError(
  400,
  "Bad Request",
  "bad_input",
  "an HTTP/1.1 request needs a Host header",
);
const CONNECT = rawError(
  405,
  "Method Not Allowed",
  "method_not_allowed",
  "CONNECT is not allowed; this server is not a proxy",
);

export interface HttpServer {
  readonly server: Server;
  /** Listen; resolves with the address as a URL, e.g. `http://127.0.0.1:8080`. */
  listen(options: { host: string; port: number }): Promise<string>;
  /**
   * Stop: accept no more connections, close the idle ones now, answer the requests in flight
   * (each answer closes its connection), resolve when the last connection is gone.
   */
  close(): Promise<void>;
}

/** True when the request names Host more than once (RFC 9112 §3.2: a 400). */
function twoHosts(raw: readonly string[]): boolean {
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length !== 4 || name.toLowerCase() !== "host") continue;
    if (seen) return true;
    seen = true;
  }
  return false;
}

/**
 * Refusals from the request line and headers alone, answered (after the answers before them)
 * with the connection closed: the body they came with is not read. Undefined for a request to
 * route.
 */
function refusedHeaders(req: IncomingMessage): HttpError | undefined {
  const coding = req.headers["transfer-encoding"];
  if (coding !== undefined && coding !== "chunked") {
    // RFC 9110 §5.6.1: empty list elements are ignored
    const codings = coding
      .toLowerCase()
      .split(",")
      .map((element) => element.trim())
      .filter((element) => element !== "");
    if (codings.at(-1) !== "chunked")
      return new HttpError(
        400,
        "bad_input",
        `Transfer-Encoding ${JSON.stringify(coding)}: ${NOT_CHUNKED_LAST}`,
      );
    if (codings.length > 1) {
      // RFC 9112 §6.1: a coding the server does not understand
      return new HttpError(
        501,
        "not_implemented",
        `Transfer-Encoding ${JSON.stringify(coding)} is not supported; send the body as it is, with Content-Length or Transfer-Encoding: chunked alone`,
      );
    }
  }
  if (twoHosts(req.rawHeaders))
    return new HttpError(400, "bad_input", "the request has more than one Host header");
  return undefined;
}

export function createHttpServer(
  handler: Handler,
  reply: Responder,
  timeouts: Timeouts = DEFAULT_TIMEOUTS,
  maxConnections = DEFAULT_MAX_CONNECTIONS,
): HttpServer {
  const server = createServer({
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // how often node looks for requests past their timeouts
    connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
    // a missing Host is answered by the listener, in the error shape, not by node's bare 400
    requireHostHeader: false,
  });
  const connections = new Connections(server, maxConnections);
  // the answers written straight to the socket carry the headers of every answer too
  const headerLines = Object.entries(reply.everyAnswer)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    (req.socket as TrackedSocket)[lastResponse] = res;
    connections.busy(req, res);
    if (req.headers.host === undefined && req.httpVersionMinor === 1) {
      markAnswered(res);
      reply.observer?.(res, 400);
      afterEarlierAnswers(req.socket as TrackedSocket, res, () =>
        req.socket.end(withHeaderLines(NO_HOST, headerLines)),
      );
      return;
    }
    const refused = refusedHeaders(req);
    if (refused !== undefined) {
      reply.error(res, refused, { connection: "close" });
      return;
    }
    handler(req, res);
  };
  server.on("request", listener);
  // 100 Continue only once a body is to be read (continue.ts)
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    awaitContinue(res);
    listener(req, res);
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: TrackedSocket) =>
    onClientError(error, socket, headerLines, reply),
  );
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    (req.socket as TrackedSocket)[lastResponse] = res;
    reply.error(
      res,
      new HttpError(
        417,
        "expectation_failed",
        `Expect: ${JSON.stringify(req.headers.expect)} is not supported; only 100-continue is`,
      ),
      { connection: "close" },
    );
  });
  server.on("connect", (_req: IncomingMessage, socket: Socket) => {
    socket.on("error", () => socket.destroy());
    socket.end(withHeaderLines(CONNECT, headerLines));
  });

  return {
    server,
    listen: ({ host, port }) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.removeListener("error", reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve(`http://${shown}:${address.port}`);
        });
      }),
    close: () =>
      new Promise((resolve, reject) => {
        if (!server.listening) {
          resolve();
          return;
        }
        reply.closing = true;
        // node's close() also closes the connections idle at this moment
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
