/**
 * The deployed Lambda function: `handler` answers API Gateway (HTTP API payload 2.0 or REST API
 * 1.0). The model is fetched from S3 once per execution environment:
 *   MODEL_BUCKET, MODEL_KEY   where model.tar.gz is
 *   MODEL_SHA256              pin: the object's bytes must have this sha256
 *   MODEL_PUBLIC_KEY          or: the model must carry a signature by this Ed25519 key (PEM)
 *   MODEL_ALLOW_UNVERIFIED    true loads a model with neither; refused otherwise
 * (serving/model-env.ts). The download keeps to the S3 budget (serving/model-retry.ts), one log
 * line per attempt, so a hanging S3 gives a 503 within the function's timeout.
 *   CORS_ALLOW_ORIGINS        comma-separated origins (or *) allowed from browsers; default none
 *   API_AUTH                  none | iam | jwt: how the API is called, as the web page at GET /
 *                             tells visitors (serving/page/); default none
 *   AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL   an S3-compatible server instead of AWS (path-style)
 *   CAPTURE_SAMPLE            share of answered POST /predict requests logged as capture lines
 *                             (message "capture"), 0 to 1; default 0.1, 0 off; anything else
 *                             fails the init with a message saying so (docs/monitoring.md)
 * Logs are JSON (Powertools Logger, level from POWERTOOLS_LOG_LEVEL); metrics are CloudWatch
 * EMF log lines (Powertools Metrics, namespace from POWERTOOLS_METRICS_NAMESPACE, default
 * IrisMlops), with the dimensions service (POWERTOOLS_SERVICE_NAME, default iris-mlops) and
 * function_name.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { captureRateFromEnv, createCaptureSampler } from "../monitoring/capture-line.js";
import { predictorFromEnv } from "../serving/model-load.js";
import { parseAuth } from "../serving/page/html.js";
import { fetchModelWithEnvCredentials } from "../serving/s3-env-fetch.js";
import { createApiHandler } from "./api.js";
import { parseOrigins } from "./cors.js";

const service = process.env.POWERTOOLS_SERVICE_NAME ?? "iris-mlops";
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
const logger = new Logger({ serviceName: service });
// every metric also carries the function's name, so two stacks in one account (or two APIs in
// one stack) keep their numbers apart on the dashboard and in alarms
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "IrisMlops",
  serviceName: service,
  defaultDimensions: functionName ? { function_name: functionName } : {},
});

async function loadModel() {
  // a bad setting is a logged 503, never a crashed init
  const predictor = await predictorFromEnv(process.env, (location) =>
    fetchModelWithEnvCredentials(location, process.env, {
      log: ({ outcome, ...line }) =>
        outcome === "ok"
          ? logger.info("s3 attempt", { outcome, ...line })
          : logger.warn("s3 attempt", { outcome, ...line }),
    }),
  );
  logger.info("model verified", {
    model_version: predictor.modelVersion,
    verified_by: predictor.verification,
  });
  return predictor;
}

const auth = parseAuth(process.env.API_AUTH);
if (auth === undefined)
  logger.warn("API_AUTH is not none, iam or jwt: the page says none", {
    api_auth: process.env.API_AUTH,
  });

export const handler = createApiHandler({
  loadModel,
  logger,
  metrics,
  corsOrigins: parseOrigins(process.env.CORS_ALLOW_ORIGINS),
  auth: auth ?? "none",
  region: process.env.AWS_REGION,
  // at init: a bad CAPTURE_SAMPLE is refused before the first request, not per request
  captureSampled: createCaptureSampler(captureRateFromEnv(process.env)),
});
