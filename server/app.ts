/**
 * The HTTP server: API Gateway's routes (`POST /predict`, `GET /health`) and SageMaker's
 * (`GET /ping`, `POST /invocations`, `GET /execution-parameters`), all on one predictor, on
 * plain node:http (docs/decisions/0003-http-server.md says why not fastify). The same app runs
 * locally (`iris-mlops serve`) and in the SageMaker container.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Predictor } from "../core/predictor.js";
import {
  CSV_TYPE,
  formatInvocation,
  JSON_TYPE,
  JSONLINES_TYPE,
  type MediaType,
  parseInvocation,
  requestType,
  responseType,
} from "../serving/invocations.js";
import {
  API_MAX_BODY_BYTES,
  INVOCATIONS_MAX_BODY_BYTES,
  INVOCATIONS_MAX_PAYLOAD_MB,
} from "../serving/limits.js";
import { predictFromBody } from "../serving/predict-api.js";
import { readBody } from "./body.js";
import { createHttpServer, DEFAULT_TIMEOUTS, type Timeouts } from "./http-server.js";
import { type Logger, silentLogger } from "./log.js";
import { checkBodyHeaders } from "./media-type.js";
import { JSON_UTF8, Responder } from "./reply.js";
import { createRouter, type Handler } from "./router.js";

export interface AppOptions {
  predictor: Predictor;
  /** Where start, stop and 5xx errors are logged (server/log.ts); nothing unless given. */
  logger?: Logger;
  /** Batch transform's MaxConcurrentTransforms: requests SageMaker may send at once. Default 1. */
  maxConcurrentTransforms?: number;
  /** The server's timeouts (server/http-server.ts); the defaults suit SageMaker. */
  timeouts?: Partial<Timeouts>;
}

export interface App {
  /** The request listener, `(req, res)`: what the server calls and what tests inject into. */
  readonly handle: Handler;
  readonly log: Logger;
  /** The node:http server, listening only after listen(). */
  readonly server: Server;
  /** Listen on host:port; resolves with the address as a URL, e.g. `http://127.0.0.1:8080`. */
  listen(options: { host: string; port: number }): Promise<string>;
  /** Stop accepting, finish the requests in flight, close every connection. */
  close(): Promise<void>;
}

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
}: AppOptions): App {
  const reply = new Responder(logger);

  // the answers that never change are serialised once
  const health = JSON.stringify({ status: "ok", model_version: predictor.modelVersion });
  const executionParameters = JSON.stringify({
    MaxConcurrentTransforms: maxConcurrentTransforms,
    BatchStrategy: "MULTI_RECORD",
    MaxPayloadInMB: INVOCATIONS_MAX_PAYLOAD_MB,
  });

  // What a route throws before its body is read is answered by the router; what it throws
  // after, in readBody's callback, here.

  // /predict reads JSON whatever the body is labelled (curl -d says form-encoded)
  function predict(req: IncomingMessage, res: ServerResponse): void {
    checkBodyHeaders(req.headers);
    readBody(req, API_MAX_BODY_BYTES, (tooLarge, text) => {
      if (tooLarge) {
        reply.error(res, tooLarge);
        return;
      }
      try {
        reply.send(res, 200, JSON_UTF8, JSON.stringify(predictFromBody(predictor, text)));
      } catch (error) {
        reply.failure(res, error);
      }
    });
  }

  // /invocations reads the body as its Content-Type says and answers as Accept asks
  function invocations(req: IncomingMessage, res: ServerResponse): void {
    checkBodyHeaders(req.headers);
    const type = req.headers["content-type"];
    const input = requestType(type);
    const output = responseType(req.headers.accept);
    readBody(req, INVOCATIONS_MAX_BODY_BYTES, (tooLarge, text) => {
      if (tooLarge) {
        reply.error(res, tooLarge);
        return;
      }
      try {
        const predictions = predictor.predictBatch(parseInvocation(input, text));
        reply.send(
          res,
          200,
          CONTENT_TYPES[output],
          formatInvocation(output, predictions, predictor.modelVersion),
        );
      } catch (error) {
        reply.failure(res, error);
      }
    });
  }

  const handle = createRouter(
    [
      { method: "POST", path: "/predict", handle: predict },
      {
        method: "GET",
        path: "/health",
        handle: (_req, res) => reply.send(res, 200, JSON_UTF8, health),
      },
      {
        method: "GET",
        path: "/ping",
        handle: (_req, res) => reply.send(res, 200, undefined, ""),
      },
      { method: "POST", path: "/invocations", handle: invocations },
      {
        method: "GET",
        path: "/execution-parameters",
        handle: (_req, res) => reply.send(res, 200, JSON_UTF8, executionParameters),
      },
    ],
    reply,
  );
  const http = createHttpServer(handle, reply, { ...DEFAULT_TIMEOUTS, ...timeouts });
  return {
    handle,
    log: logger,
    server: http.server,
    listen: http.listen,
    close: http.close,
  };
}
