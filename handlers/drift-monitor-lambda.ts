/**
 * The DriftMonitor's deployed function (components/drift-monitor.ts), invoked by EventBridge
 * Scheduler: `handler` runs one drift check over the last window (handlers/drift-monitor.ts).
 * Settings: handlers/drift-monitor-env.ts (capture, reports, window, thresholds) and the model as
 * the API reads it (MODEL_BUCKET, MODEL_KEY, MODEL_SHA256, serving/model-env.ts: the artifact is
 * refused unless pinned or signed). S3: the SDK with 3 attempts per call (standard retries), 2 s
 * to connect and 10 s per attempt; the model download keeps to the API's S3 budget
 * (serving/model-retry.ts). Logs are JSON (Powertools Logger); metrics are EMF lines (Powertools
 * Metrics: namespace POWERTOOLS_METRICS_NAMESPACE, default IrisMlops; dimensions service
 * (POWERTOOLS_SERVICE_NAME, default iris-mlops-drift) and function_name, and each figure also
 * with ModelVersion).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { predictorFromEnv } from "../serving/model-load.js";
import { fetchModelBytes, s3ClientFromEnv } from "../serving/model-source.js";
import { createDriftMonitorHandler } from "./drift-monitor.js";
import { monitorSettingsFromEnv } from "./drift-monitor-env.js";
import { loadMonitorModules } from "./drift-monitor-modules.js";

/** The service name the monitor's metrics carry (components/drift-monitor-metrics.ts reads it). */
export const MONITOR_SERVICE_NAME = "iris-mlops-drift";

const service = process.env.POWERTOOLS_SERVICE_NAME ?? MONITOR_SERVICE_NAME;
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
const logger = new Logger({ serviceName: service });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "IrisMlops",
  serviceName: service,
  defaultDimensions: functionName ? { function_name: functionName } : {},
});

/** Read and write with the SDK's bounded retries; every attempt has its own timeouts. */
const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL;
const s3 = new S3Client({
  maxAttempts: 3,
  retryMode: "standard",
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000, throwOnRequestTimeout: true },
  ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
});

async function loadModel() {
  // a bad setting is a logged, failed run, never a crashed init
  const predictor = await predictorFromEnv(process.env, (location) =>
    fetchModelBytes(s3ClientFromEnv(process.env), location, {
      log: (line) => logger.info("s3 attempt", { ...line }),
    }),
  );
  logger.info("model verified", {
    model_version: predictor.modelVersion,
    verified_by: predictor.verification,
  });
  return predictor;
}

let handle: ReturnType<typeof createDriftMonitorHandler> | undefined;

export const handler: ReturnType<typeof createDriftMonitorHandler> = async (event, context) => {
  // settings checked at the first run, so a wrong one fails that run with its name
  if (handle === undefined) {
    let settings: ReturnType<typeof monitorSettingsFromEnv>;
    try {
      settings = monitorSettingsFromEnv(process.env);
    } catch (error) {
      logger.error("drift monitor settings are wrong", error as Error);
      throw error;
    }
    handle = createDriftMonitorHandler({
      ...settings,
      loadModel,
      s3,
      logger,
      metrics,
      modules: loadMonitorModules,
    });
  }
  return handle(event, context);
};
