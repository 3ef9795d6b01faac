/**
 * The Lambda behind API Gateway, as a factory: where the model comes from, the logger and the
 * metrics are given, so tests build handlers for any situation and lambda.ts builds the real one.
 * Once the model is loaded, every answer carries `x-model-version` and every metric is written
 * twice: under its dimensions as before, and under those and ModelVersion, so that a canary's
 * numbers are told apart from the stable version's. Before, neither (there is no version yet).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { APIGatewayProxyResult, Context } from "aws-lambda";
import type { Predictor } from "../core/predictor.js";
import { CAPTURE_MESSAGE, captureEntry, captureRecords } from "../monitoring/capture-line.js";
import { errorBody, HttpError, toHttpError } from "../serving/errors.js";
import { modelVersionHeaders } from "../serving/model-version-headers.js";
import { committedOpenApiJson } from "../serving/openapi-file.js";
import { notModified, type Page, type PageAuth, pageFor } from "../serving/page/html.js";
import { predictRowsFromBody } from "../serving/predict-api.js";
import { LAMBDA_ROUTES } from "../serving/routes.js";
import { corsHeaders, PREFLIGHT_HEADERS } from "./cors.js";
import { type ApiEvent, type ApiRequest, toApiRequest } from "./events.js";

export interface ApiHandlerOptions {
  /** Loads the model; called at creation (the init phase) and again after a failure. */
  loadModel: () => Promise<Predictor>;
  logger: Logger;
  metrics: Metrics;
  /** Origins allowed to call from a browser; none means no CORS headers. */
  corsOrigins?: readonly string[];
  /** The API's auth, for the web page at `GET /` to say how to call it (serving/page/). */
  auth?: PageAuth;
  /** The API's region, for the page's signed curl example under `iam`. */
  region?: string;
  /**
   * Whether an answered `POST /predict` is captured (monitoring/capture-line.ts), decided per
   * request; never by default. The capture line goes through `logger` with the message
   * "capture", for the log group's subscription to Firehose (docs/monitoring.md).
   */
  captureSampled?: () => boolean;
}

export type ApiHandler = (event: ApiEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The method of each path the Lambda answers (serving/routes.ts). */
const ROUTES: Record<string, string> = Object.fromEntries(
  LAMBDA_ROUTES.map(({ path, method }) => [path, method]),
);

/**
 * Also give the metrics stored in `metrics` the dimension set of its first one plus ModelVersion:
 * a series per version beside the one the dashboard and the alarms read. `first` declares that
 * first set when it holds only the default dimensions (Powertools writes the defaults alone only
 * when there is no other set).
 */
function perModelVersion(metrics: Metrics, modelVersion: string, first?: "defaults"): Metrics {
  if (first === "defaults") metrics.addDimensions({});
  return metrics.addDimensions({ ModelVersion: modelVersion });
}

export function createApiHandler({
  loadModel,
  logger,
  metrics,
  corsOrigins = [],
  auth = "none",
  region,
  captureSampled = () => false,
}: ApiHandlerOptions): ApiHandler {
  // One load per execution environment, started now so warm invocations only predict. A failed
  // load is forgotten, so the next invocation tries again instead of failing forever.
  let loading: Promise<Predictor> | undefined;
  /** The model once loaded: the version every answer and metric names from then on. */
  let loaded: Predictor | undefined;
  const model = (): Promise<Predictor> => {
    loading ??= loadModel().then(
      (predictor) => {
        logger.info("model loaded", { model_version: predictor.modelVersion });
        loaded = predictor;
        return predictor;
      },
      (error: Error) => {
        loading = undefined;
        logger.error("model could not be loaded", { error: error.message });
        throw new HttpError(
          503,
          "model_unavailable",
          "the model is not available yet; retry shortly",
        );
      },
    );
    return loading;
  };
  model().catch(() => undefined); // logged above; the next invocation retries

  const answer = async (
    request: ApiRequest,
  ): Promise<{
    status: number;
    body?: unknown;
    json?: string;
    rows?: number;
    page?: Page;
    capture?: () => Record<string, unknown>;
  }> => {
    const expected = ROUTES[request.path];
    if (request.method === "OPTIONS" && expected && corsOrigins.length > 0) return { status: 204 };
    if (!expected)
      throw new HttpError(
        404,
        "not_found",
        `no route ${request.method} ${request.path}; try POST /predict`,
      );
    // HEAD is GET without the body, as on the server (server/router.ts)
    const method = request.method === "HEAD" && expected === "GET" ? "GET" : request.method;
    if (method !== expected) {
      throw new HttpError(
        405,
        "method_not_allowed",
        `${request.method} ${request.path} is not allowed; use ${expected}`,
      );
    }
    // the page and the document need no model: they are answered while one loads, or when none can be
    if (request.path === "/openapi.json") return { status: 200, json: committedOpenApiJson() };
    if (request.path === "/")
      return { status: 200, page: pageFor({ auth, region, modelVersion: loaded?.modelVersion }) };
    const predictor = await model();
    if (request.path === "/health")
      return {
        status: 200,
        body: {
          status: "ok",
          model_version: predictor.modelVersion,
          verified_by: predictor.verification,
        },
      };
    const { response: result, rows, predictions } = predictRowsFromBody(predictor, request.body);
    for (const species of predictor.classes) {
      const count = predictions.filter((p) => p.species === species).length;
      if (count > 0) metrics.addMetric(`predicted_${species}`, MetricUnit.Count, count);
    }
    const notIris = predictions.filter((p) => !p.is_iris).length;
    if (notIris > 0) metrics.addMetric("predicted_not_iris", MetricUnit.Count, notIris);
    const { requestId } = request;
    const capture = () =>
      captureEntry(
        captureRecords({
          door: "lambda",
          modelVersion: predictor.modelVersion,
          rows,
          predictions,
          ...(requestId === undefined ? {} : { eventId: requestId }),
        }),
        rows.length,
      );
    return { status: 200, body: result, rows: predictions.length, capture };
  };

  /** Log a sampled answer's capture line; a failure is counted, never the request's. */
  const captureAnswer = (entry: () => Record<string, unknown>): void => {
    try {
      if (captureSampled()) logger.info(CAPTURE_MESSAGE, entry());
    } catch {
      try {
        metrics.singleMetric().addMetric("capture_failed", MetricUnit.Count, 1);
      } catch {
        // a capture must not fail the answer, even by the failure's own count
      }
    }
  };

  return async (event, context) => {
    const started = performance.now();
    logger.addContext(context);
    metrics.captureColdStartMetric(); // emits only on an environment's first invocation
    let request: ApiRequest | undefined;
    let status: number;
    let headers: Record<string, string> = { "content-type": "application/json" };
    let body: string;
    let rows = 0;
    let capture: (() => Record<string, unknown>) | undefined;
    try {
      request = toApiRequest(event);
      logger.appendKeys({
        correlation_id: request.requestId,
        route: `${request.method} ${request.path}`,
      });
      const result = await answer(request);
      status = result.status;
      rows = result.rows ?? 0;
      capture = result.capture;
      body = result.json ?? (result.body === undefined ? "" : JSON.stringify(result.body));
      if (status === 204) headers = { ...PREFLIGHT_HEADERS };
      if (result.page !== undefined) {
        const { html, etag, headers: pageHeaders } = result.page;
        const unchanged = notModified(request.headers["if-none-match"], etag);
        status = unchanged ? 304 : 200;
        body = unchanged ? "" : html;
        headers = { ...pageHeaders };
        if (unchanged) delete headers["content-type"];
      }
    } catch (thrown) {
      const error = toHttpError(thrown);
      status = error.status;
      body = JSON.stringify(errorBody(error.code, error.message));
      if (error.status === 405) headers.allow = ROUTES[request?.path ?? ""] ?? "";
      if (status >= 500 && error.code === "internal")
        logger.error("request failed", thrown as Error);
      const errors = metrics.singleMetric().addDimension("error_code", error.code);
      if (loaded !== undefined) perModelVersion(errors, loaded.modelVersion);
      errors.addMetric("errors", MetricUnit.Count, 1);
    }
    if (request?.method === "HEAD") body = "";
    const millis = performance.now() - started;
    Object.assign(headers, corsHeaders(corsOrigins, request?.headers.origin));
    if (loaded !== undefined) {
      Object.assign(headers, modelVersionHeaders(loaded.modelVersion));
      perModelVersion(metrics, loaded.modelVersion, "defaults");
    }
    if (rows > 0) metrics.addMetric("predictions", MetricUnit.Count, rows);
    metrics.addMetric("latency", MetricUnit.Milliseconds, millis);
    metrics.publishStoredMetrics();
    logger.info("request", { status, rows, latency_ms: Math.round(millis * 1000) / 1000 });
    if (capture !== undefined) captureAnswer(capture);
    logger.resetKeys();
    return { statusCode: status, headers, body, isBase64Encoded: false };
  };
}
