/**
 * The deployed Lambda function: `handler` answers API Gateway (HTTP API payload 2.0 or REST API
 * 1.0). The model is fetched from S3 once per execution environment:
 *   MODEL_BUCKET, MODEL_KEY   where model.tar.gz is
 *   MODEL_SHA256              when set, the object's bytes must have this sha256
 *   CORS_ALLOW_ORIGINS        comma-separated origins (or *) allowed from browsers; default none
 *   AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL   an S3-compatible server instead of AWS (path-style)
 * Logs are JSON (Powertools Logger, level from POWERTOOLS_LOG_LEVEL); metrics are CloudWatch
 * EMF log lines (Powertools Metrics, namespace from POWERTOOLS_METRICS_NAMESPACE, default
 * IrisMlops), with the dimensions service (POWERTOOLS_SERVICE_NAME, default iris-mlops) and
 * function_name.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { ArtifactError } from "../core/artifact.js";
import { loadPredictor } from "../core/predictor.js";
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
  const { MODEL_BUCKET: bucket, MODEL_KEY: key, MODEL_SHA256: sha256 } = process.env;
  if (!bucket || !key) throw new ArtifactError("MODEL_BUCKET and MODEL_KEY must be set");
  return loadPredictor(await fetchModelWithEnvCredentials({ bucket, key, sha256 }));
}

export const handler = createApiHandler({
  loadModel,
  logger,
  metrics,
  corsOrigins: parseOrigins(process.env.CORS_ALLOW_ORIGINS),
});
