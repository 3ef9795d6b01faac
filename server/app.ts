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
import type { Predictor } from "../core/predictor.js";
import { INVOCATIONS_MAX_PAYLOAD_MB } from "../serving/limits.js";
import { modelVersionHeaders } from "../serving/model-version-headers.js";
import { openApiJson } from "../serving/openapi.js";
import { notModified, type PageAuth, pageFor } from "../serving/page/html.js";
import { SERVER_ROUTES, type ServerPath } from "../serving/routes.js";
import type { ServerCapture } from "./capture-sink.js";
import { createHttpServer, DEFAULT_TIMEOUTS, type Timeouts } from "./http-server.js";
import { DEFAULT_IN_FLIGHT, InFlight, type InFlightBudget } from "./in-flight.js";
import { invocationsRoute } from "./invocations-route.js";
import { InvocationsSummary } from "./invocations-summary.js";
import { type Logger, silentLogger } from "./log.js";
import { type MetricsText, ServerMetrics, timedFrom } from "./metrics.js";
import { predictRoute } from "./predict-route.js";
import { JSON_UTF8, Responder } from "./reply.js";
import { routeContext } from "./route-context.js";
import { createRouter, type Handler, type Route } from "./router.js";

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
  // after, in readBody's callback, in the route (server/predict-route.ts, invocations-route.ts).
  const context = routeContext({ predictor, inFlight, reply, metrics, capture });

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
    "/predict": predictRoute(context),
    "/health": (_req, res) => reply.send(res, 200, JSON_UTF8, health),
    "/ping": (_req, res) => reply.send(res, 200, undefined, ""),
    "/invocations": invocationsRoute(context, summary),
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
