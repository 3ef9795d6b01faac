/**
 * The HTTP server: API Gateway's routes (`POST /predict`, `GET /health`, the web page at `GET /`,
 * serving/page/, the OpenAPI document at `GET /openapi.json`) and SageMaker's (`GET /ping`,
 * `POST /invocations`, `GET /execution-parameters`), all on one predictor, as the route catalogue
 * (serving/routes.ts) lists them, on plain node:http (docs/decisions/0003-http-server.md says why
 * not fastify). The same app runs locally (`iris-mlops serve`) and in the SageMaker container.
 * Every answer carries `x-model-version`; /invocations's predictions also SageMaker's custom
 * attributes, and its answers are counted in the invocations summary
 * (server/invocations-summary.ts). Unless turned off, every answer is also counted for
 * Prometheus at `GET /metrics` (server/metrics.ts).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { batchPredictions } from "../core/batch.js";
import { FEATURES } from "../core/features.js";
import type { Predictor } from "../core/predictor.js";
import { columnItems, type ItemText } from "../serving/column-answers.js";
import { InvocationLines } from "../serving/invocation-lines.js";
import {
  CSV_TYPE,
  invocationFormatter,
  JSON_TYPE,
  JSONLINES_TYPE,
  type MediaType,
  type RowSource,
  requestType,
  responseType,
  rowSource,
} from "../serving/invocations.js";
import {
  API_MAX_BODY_BYTES,
  INVOCATIONS_MAX_BODY_BYTES,
  INVOCATIONS_MAX_PAYLOAD_MB,
} from "../serving/limits.js";
import { invocationAttributes, modelVersionHeaders } from "../serving/model-version-headers.js";
import { openApiJson } from "../serving/openapi.js";
import { notModified, type PageAuth, pageFor } from "../serving/page/html.js";
import { predictRowsFromBody } from "../serving/predict-api.js";
import { SERVER_ROUTES, type ServerPath } from "../serving/routes.js";
import { AnswerText } from "./answer-text.js";
import { readBody } from "./body.js";
import type { ServerCapture } from "./capture-sink.js";
import { createHttpServer, DEFAULT_TIMEOUTS, type Timeouts } from "./http-server.js";
import { DEFAULT_IN_FLIGHT, InFlight, type InFlightBudget } from "./in-flight.js";
import { InvocationsSummary } from "./invocations-summary.js";
import { type Logger, silentLogger } from "./log.js";
import { checkBodyHeaders } from "./media-type.js";
import { type MetricsText, ServerMetrics, timedFrom } from "./metrics.js";
import { JSON_UTF8, Responder } from "./reply.js";
import { createRouter, type Handler, type Route } from "./router.js";
import { inItsTurn, inSlices } from "./slices.js";

export interface AppOptions {
  predictor: Predictor;
  /** Where start, stop and 5xx errors are logged (server/log.ts); nothing unless given. */
  logger?: Logger;
  /** Batch transform's MaxConcurrentTransforms: requests SageMaker may send at once. Default 1. */
  maxConcurrentTransforms?: number;
  /** The server's timeouts (server/http-server.ts); the defaults suit SageMaker. */
  timeouts?: Partial<Timeouts>;
  /** The in-flight budget (server/in-flight.ts); the defaults suit a 1 GB container. */
  budget?: Partial<InFlightBudget>;
  /** Open connections at once (server/connections.ts). */
  maxConnections?: number;
  /**
   * Prometheus metrics at `GET /metrics` (server/metrics.ts, docs/metrics.md): on unless false;
   * a ServerMetrics to count into one made by the caller (a cluster worker's, say).
   */
  metrics?: boolean | ServerMetrics;
  /**
   * What `GET /metrics` answers. By default the app's metrics and its process's; a cluster
   * worker answers its whole cluster's, asked of the primary (server/metrics-cluster.ts).
   */
  metricsText?: () => Promise<MetricsText>;
  /** How the web page at `GET /` tells visitors to call the API (serving/page/). Default none. */
  auth?: PageAuth;
  /** Which answered predictions are captured, and where (server/capture-sink.ts); none unless given. */
  capture?: ServerCapture;
}

export interface App {
  /** The request listener, `(req, res)`: what the server calls and what tests inject into. */
  readonly handle: Handler;
  readonly log: Logger;
  /** The node:http server, listening only after listen(). */
  readonly server: Server;
  /** Listen on host:port; resolves with the address as a URL, e.g. `http://127.0.0.1:8080`. */
  listen(options: { host: string; port: number }): Promise<string>;
  /**
   * Stop accepting, finish the requests in flight, close every connection, then write the
   * invocations summary of what was answered since its last line.
   */
  close(): Promise<void>;
  /** The bytes and requests in flight now, against their budget (server/in-flight.ts). */
  readonly inFlight: Readonly<Pick<InFlight, "bytes" | "requests" | "budget">>;
  /** What it counts for `GET /metrics`; undefined when metrics are off. */
  readonly metrics: ServerMetrics | undefined;
}

/** Rows read, predicted and written between two looks at the clock (server/slices.ts). */
const ROWS_PER_STEP = 256;

/** Lines read and predicted at once by answerLines: a step of well under a millisecond. */
const LINES_PER_STEP = 1024;

/** A body this small is parsed at once (about 1 ms); a larger one waits for a turn of its own. */
const PARSED_AT_ONCE_BYTES = 16 * 1024;

/**
 * Bytes of the budget held for a JSON body's parsed tree, per byte of its text, from before
 * JSON.parse until its rows are read. Measured (64-bit V8): a `[[1,1,1,1],…]` batch parses to
 * 9.8 times its text, one of measurement objects to 2, `[[],[],…]` to 14, `[{},{},…]` to 22.
 * Eight lets one 6 MiB batch (48 MiB and its 6 MiB) fit in the 64 MiB default with its answer,
 * and keeps more than one large tree from being built at once.
 */
const PARSED_JSON_PER_BYTE = 8;

/** How each answer type is labelled (as the fastify server labelled them). */
const CONTENT_TYPES: Record<MediaType, string> = {
  [JSON_TYPE]: JSON_UTF8,
  [CSV_TYPE]: "text/csv",
  [JSONLINES_TYPE]: "application/jsonlines; charset=utf-8",
};

export function buildApp({
  predictor,
  logger = silentLogger,
  maxConcurrentTransforms = 1,
  timeouts,
  budget,
  maxConnections,
  metrics: metricsOption = true,
  metricsText,
  auth = "none",
  capture,
}: AppOptions): App {
  const allTimeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
  const inFlight = new InFlight({ ...DEFAULT_IN_FLIGHT, ...budget });
  const version = predictor.modelVersion;
  const metrics =
    metricsOption === false
      ? undefined
      : metricsOption === true
        ? ServerMetrics.of(predictor)
        : metricsOption;
  const reply = new Responder(
    logger,
    inFlight,
    allTimeouts.writeMs,
    modelVersionHeaders(version),
    metrics?.answered,
  );
  const summary = new InvocationsSummary(logger);
  const attributes = invocationAttributes(version);
  const predictBody = { limit: API_MAX_BODY_BYTES, inFlight, invalidUtf8: "bad_json" } as const;
  const jsonBody = {
    limit: INVOCATIONS_MAX_BODY_BYTES,
    inFlight,
    invalidUtf8: "bad_json",
  } as const;
  const textBody = {
    limit: INVOCATIONS_MAX_BODY_BYTES,
    inFlight,
    invalidUtf8: "bad_input",
  } as const;

  // the answers that never change are serialised once
  const health = JSON.stringify({
    status: "ok",
    model_version: version,
    verified_by: predictor.verification,
  });
  const executionParameters = JSON.stringify({
    MaxConcurrentTransforms: maxConcurrentTransforms,
    BatchStrategy: "MULTI_RECORD",
    MaxPayloadInMB: INVOCATIONS_MAX_PAYLOAD_MB,
  });

  // What a route throws before its body is read is answered by the router; what it throws
  // after, in readBody's callback, here.

  /** Hold the budget for the tree JSON.parse makes of `text`, or throw 503. */
  function holdParsed(res: ServerResponse, text: string): void {
    if (!inFlight.reserve(res, text.length * PARSED_JSON_PER_BYTE)) throw inFlight.busy();
  }

  /** Parse a body at its turn (server/slices.ts), not back to back with the others that ended. */
  function parseInTurn(res: ServerResponse, text: string, parse: () => void): void {
    inItsTurn(parse, text.length <= PARSED_AT_ONCE_BYTES, () => res.destroyed);
  }

  /** Admit a request with a body to the in-flight budget, or answer 503. */
  function admitted(res: ServerResponse): boolean {
    if (inFlight.admit(res)) return true;
    reply.error(res, inFlight.busy());
    return false;
  }

  // /predict reads JSON whatever the body is labelled (curl -d says form-encoded)
  function predict(req: IncomingMessage, res: ServerResponse): void {
    checkBodyHeaders(req.headers);
    if (!admitted(res)) return;
    readBody(req, res, predictBody, (refused, text) => {
      if (refused) {
        reply.error(res, refused);
        return;
      }
      parseInTurn(res, text, () => {
        try {
          holdParsed(res, text);
          const { response, rows, predictions } = predictRowsFromBody(predictor, text);
          const answer = JSON.stringify(response);
          // the body and its tree are garbage now; a big answer reserves its own bytes
          inFlight.release(res);
          reply.send(res, 200, JSON_UTF8, answer);
          metrics?.predicted(predictions);
          capture?.answered(version, rows, predictions);
        } catch (error) {
          reply.failure(res, error);
        }
      });
    });
  }

  // /invocations reads the body as its Content-Type says and answers as Accept asks; a large
  // batch is read, predicted and written in slices that let other requests in between
  function invocations(req: IncomingMessage, res: ServerResponse): void {
    summary.track(res, version);
    checkBodyHeaders(req.headers);
    const type = req.headers["content-type"];
    const input = requestType(type);
    const output = responseType(req.headers.accept);
    if (!admitted(res)) return;
    readBody(req, res, input === JSON_TYPE ? jsonBody : textBody, (refused, text, bytes) => {
      if (refused) {
        reply.error(res, refused);
        return;
      }
      parseInTurn(res, text, () => {
        if (input !== JSON_TYPE) {
          let lines: InvocationLines;
          try {
            lines = new InvocationLines(input, bytes);
          } catch (error) {
            reply.failure(res, error);
            return;
          }
          answerLines(res, lines, output);
          return;
        }
        let source: RowSource;
        try {
          holdParsed(res, text);
          source = rowSource(input, text);
        } catch (error) {
          reply.failure(res, error);
          return;
        }
        answerRows(res, source, output);
      });
    });
  }

  /** Each answer type's row text from columnar predictions, made on first use. */
  const columnTexts = new Map<MediaType, ItemText>();
  const columnText = (output: MediaType): ItemText => {
    let text = columnTexts.get(output);
    if (text === undefined) {
      const { item } = invocationFormatter(output, version);
      text = columnItems(predictor.classes, predictor.trees, item);
      columnTexts.set(output, text);
    }
    return text;
  };

  /**
   * answerRows for a CSV or JSON-lines body, columnar: a run of lines read from its bytes into
   * one Float64Array, predicted at once (core/batch.ts), each row's answer text looked up by its
   * votes. The same answer, status and tally as answerRows, with nothing made per row.
   */
  function answerLines(res: ServerResponse, lines: InvocationLines, output: MediaType): void {
    const bodyBytes = inFlight.heldBy(res);
    const format = invocationFormatter(output, version);
    const answer = AnswerText.reserved(format, lines.rows, (bytes) => inFlight.reserve(res, bytes));
    if (answer === undefined) {
      reply.error(res, inFlight.busy());
      return;
    }
    const text = columnText(output);
    const step = Math.min(LINES_PER_STEP, lines.rows);
    const values = new Float64Array(step * FEATURES.length);
    const out = batchPredictions(step, predictor.classes.length);
    const tally = metrics?.tally();
    const captured = capture?.request(version);
    inSlices(
      () => {
        const count = lines.read(values, step);
        predictor.predictColumns(values, count, out);
        tally?.addColumns(out, count);
        captured?.addColumns(values, count, predictor);
        for (let row = 0; row < count; row++)
          if (!answer.add(text(out, row))) throw inFlight.busy();
        return !lines.done;
      },
      (error) => {
        if (error !== undefined) {
          reply.failure(res, error);
          return;
        }
        inFlight.release(res, bodyBytes);
        reply.stream(res, 200, CONTENT_TYPES[output], answer, attributes);
        if (tally !== undefined) metrics?.add(tally);
        captured?.done();
      },
      { stopped: () => res.destroyed },
    );
  }

  /**
   * Predict every row of `source` in slices, then answer. Every row is read and predicted before
   * the status is sent, so that a bad row is a 400 and never a 200 cut short; the answer is kept
   * as an AnswerText (its bytes reserved in the budget before the work starts) and written as
   * the socket takes it. The body's bytes (and a JSON body's parsed tree) are given back once
   * its rows have been read.
   */
  function answerRows(res: ServerResponse, source: RowSource, output: MediaType): void {
    const bodyBytes = inFlight.heldBy(res);
    const format = invocationFormatter(output, version);
    const answer = AnswerText.reserved(format, source.rows, (bytes) =>
      inFlight.reserve(res, bytes),
    );
    if (answer === undefined) {
      reply.error(res, inFlight.busy());
      return;
    }
    // the only reference to the rows (and the body text behind them), dropped when done
    let rest: RowSource | undefined = source;
    const rows: number[][] = [];
    const tally = metrics?.tally();
    const captured = capture?.request(version);
    inSlices(
      () => {
        rows.length = 0;
        const from = rest as RowSource;
        for (let row = from.next(); row !== undefined; row = from.next()) {
          rows.push(row);
          if (rows.length === ROWS_PER_STEP) break;
        }
        const predictions = predictor.predictBatch(rows);
        tally?.addPredictions(predictions);
        captured?.add(rows, predictions);
        for (const prediction of predictions)
          if (!answer.add(format.item(prediction))) throw inFlight.busy();
        return rows.length === ROWS_PER_STEP;
      },
      (error) => {
        rest = undefined;
        rows.length = 0;
        if (error !== undefined) {
          reply.failure(res, error);
          return;
        }
        inFlight.release(res, bodyBytes);
        reply.stream(res, 200, CONTENT_TYPES[output], answer, attributes);
        if (tally !== undefined) metrics?.add(tally);
        captured?.done();
      },
      { stopped: () => res.destroyed },
    );
  }

  // the web page, rendered on its first request; an unchanged one is a 304
  function page(req: IncomingMessage, res: ServerResponse): void {
    const { html, headers, etag } = pageFor({ auth, modelVersion: version });
    if (notModified(req.headers["if-none-match"], etag)) {
      const { "content-type": _, ...rest } = headers;
      reply.send(res, 304, undefined, "", {
        ...rest,
        "content-length": `${Buffer.byteLength(html)}`,
      });
      return;
    }
    reply.send(res, 200, undefined, html, headers);
  }

  const scrape = metricsText ?? (() => (metrics as ServerMetrics).text());
  // every route the catalogue gives the server (serving/routes.ts), each with its handler here
  const handlers: Record<ServerPath, Handler> = {
    "/": page,
    "/openapi.json": (_req, res) => reply.send(res, 200, JSON_UTF8, openApiJson()),
    "/predict": predict,
    "/health": (_req, res) => reply.send(res, 200, JSON_UTF8, health),
    "/ping": (_req, res) => reply.send(res, 200, undefined, ""),
    "/invocations": invocations,
    "/execution-parameters": (_req, res) => reply.send(res, 200, JSON_UTF8, executionParameters),
    "/metrics": (_req, res) => {
      scrape().then(
        ({ contentType, text }) => reply.send(res, 200, contentType, text),
        (error) => reply.failure(res, error),
      );
    },
  };
  // GET /metrics: only where metrics are on (and never on the Lambda: it is not in its routes)
  const routes: Route[] = SERVER_ROUTES.filter(
    ({ path }) => path !== "/metrics" || metrics !== undefined,
  ).map(({ method, path }) => ({ method, path, handle: handlers[path] }));
  const router = createRouter(routes, reply);
  if (capture !== undefined) metrics?.countCaptures(() => capture.stats);
  const handle = metrics === undefined ? router : timedFrom(router);
  const http = createHttpServer(handle, reply, allTimeouts, maxConnections);
  return {
    handle,
    inFlight,
    metrics,
    log: logger,
    server: http.server,
    listen: http.listen,
    close: async () => {
      try {
        await http.close();
      } finally {
        summary.stop();
        await capture?.close(); // the lines of every request answered are written by now
      }
    },
  };
}
