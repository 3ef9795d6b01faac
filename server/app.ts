/**
 * The HTTP server: API Gateway's routes (`POST /predict`, `GET /health`) and SageMaker's
 * (`GET /ping`, `POST /invocations`, `GET /execution-parameters`), all on one predictor. The
 * same app runs locally (`iris-mlops serve`) and in the SageMaker container.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import type { Predictor } from "../core/predictor.js";
import { errorBody, HttpError, toHttpError } from "../serving/errors.js";
import {
  formatInvocation,
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

export interface AppOptions {
  predictor: Predictor;
  /** Fastify's logger (pino); off unless given. Requests are not logged one by one, errors are. */
  logger?: FastifyServerOptions["logger"];
  /** Batch transform's MaxConcurrentTransforms: requests SageMaker may send at once. Default 1. */
  maxConcurrentTransforms?: number;
}

const ROUTES: Record<string, string> = {
  "/predict": "POST",
  "/health": "GET",
  "/ping": "GET",
  "/invocations": "POST",
  "/execution-parameters": "GET",
};
const ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  if (error.status === 405) {
    const path = (reply.request.url.split("?")[0] as string).replace(/(.)\/$/, "$1");
    reply.header("allow", ROUTES[path] ?? "");
  }
  return reply
    .code(error.status)
    .type("application/json")
    .send(JSON.stringify(errorBody(error.code, error.message)));
}

export function buildApp({
  predictor,
  logger = false,
  maxConcurrentTransforms = 1,
}: AppOptions): FastifyInstance {
  const app = Fastify({
    logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: INVOCATIONS_MAX_BODY_BYTES,
    // a stopping server closes idle keep-alive connections at once instead of waiting them out
    forceCloseConnections: "idle",
    return503OnClosing: true,
    // /predict/ is /predict, as API Gateway's Lambda answers it
    routerOptions: { ignoreTrailingSlash: true },
    // a URL that cannot be decoded (/%zz) never reaches a route or the error handler: answer it
    // in the one error shape too, not fastify's own
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, new HttpError(400, "bad_input", error.message));
    },
  });

  // Every body arrives as text and is read by the route, whatever the Content-Type: /predict
  // takes JSON whatever it is labelled (curl -d says form-encoded), /invocations chooses by type.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const limit = request.routeOptions.bodyLimit ?? INVOCATIONS_MAX_BODY_BYTES;
      return sendError(
        reply,
        new HttpError(
          413,
          "payload_too_large",
          `the body is over the limit of ${limit} bytes; send fewer rows per request`,
        ),
      );
    }
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      // a Content-Type that is not a media type at all ("foo bar", ""): fastify refuses it before
      // any route reads the body; a 415 carries the 415 code, as every other 415 does
      return sendError(
        reply,
        new HttpError(
          415,
          "unsupported_media_type",
          `Content-Type ${JSON.stringify(request.headers["content-type"] ?? "")} is not a valid media type`,
        ),
      );
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, new HttpError(error.statusCode, "bad_input", error.message));
    }
    const mapped = toHttpError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, "request failed");
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new HttpError(
        404,
        "not_found",
        `no route ${request.method} ${request.url.split("?")[0]}; try POST /predict or POST /invocations`,
      ),
    ),
  );

  const body = (raw: unknown): string => (typeof raw === "string" ? raw : "");

  app.get("/health", async () => ({ status: "ok", model_version: predictor.modelVersion }));
  app.post("/predict", { bodyLimit: API_MAX_BODY_BYTES }, async (request, reply) =>
    reply
      .type("application/json")
      .send(JSON.stringify(predictFromBody(predictor, body(request.body)))),
  );

  app.get("/ping", async (_request, reply) => reply.code(200).send());
  app.post("/invocations", async (request, reply) => {
    const input = requestType(request.headers["content-type"]);
    const output = responseType(request.headers.accept);
    const predictions = predictor.predictBatch(parseInvocation(input, body(request.body)));
    return reply.type(output).send(formatInvocation(output, predictions, predictor.modelVersion));
  });
  app.get("/execution-parameters", async () => ({
    MaxConcurrentTransforms: maxConcurrentTransforms,
    BatchStrategy: "MULTI_RECORD",
    MaxPayloadInMB: INVOCATIONS_MAX_PAYLOAD_MB,
  }));

  // a known path with the wrong method is a 405 that says which method to use
  for (const [url, method] of Object.entries(ROUTES)) {
    app.route({
      method: ALL_METHODS.filter((m) => m !== method),
      url,
      handler: async (request, reply) =>
        sendError(
          reply,
          new HttpError(
            405,
            "method_not_allowed",
            `${request.method} ${url} is not allowed; use ${method}`,
          ),
        ),
    });
  }
  return app;
}
