/**
 * The DriftMonitor function's settings, read from the environment the component sets
 * (components/drift-monitor.ts) and checked once, so a typo is a clear error at the first run:
 *   CAPTURE_BUCKET, CAPTURE_PREFIX    where the capture is read (prefix "" or ending in /)
 *   REPORTS_BUCKET, REPORTS_PREFIX    where the reports are written
 *   DRIFT_WINDOW_HOURS                hours of traffic each run looks at, ending now; default 24
 *   DRIFT_THRESHOLDS                  JSON DriftThresholds; default the drift module's
 * and the model as the API reads it (MODEL_BUCKET, MODEL_KEY, MODEL_SHA256: serving/model-env.ts).
 */
import * as z from "zod/mini";
import { ArtifactError } from "../core/artifact.js";
import { safeParseEnglish } from "../core/zod-english.js";
import type { DriftThresholds } from "../monitoring/types.js";
import { checkBucket } from "../serving/model-location.js";
import type { S3Prefix } from "./drift-monitor.js";

export const DEFAULT_WINDOW_HOURS = 24;

export interface MonitorSettings {
  capture: S3Prefix;
  reports: S3Prefix;
  windowHours: number;
  thresholds: DriftThresholds | undefined;
}

const pair = z.object({ warn: z.number(), drift: z.number() });
const thresholdsSchema = z.object({
  psi: pair,
  ks: pair,
  not_iris_share: pair,
  min_rows: z.int().check(z.nonnegative()),
});

/** A key prefix: "" or segments ending in "/", never a leading "/" (S3 keys have none). */
export function checkPrefix(value: string | undefined, from: string): string {
  const prefix = value ?? "";
  if (prefix !== "" && (!prefix.endsWith("/") || prefix.startsWith("/") || prefix.includes("//")))
    throw new ArtifactError(
      `${from} must be empty or a key prefix ending in / (e.g. capture/), got ${JSON.stringify(prefix)}`,
    );
  return prefix;
}

function location(env: NodeJS.ProcessEnv, bucketVar: string, prefixVar: string): S3Prefix {
  const bucket = env[bucketVar];
  if (!bucket) throw new ArtifactError(`${bucketVar} must be set`);
  return { bucket: checkBucket(bucket), prefix: checkPrefix(env[prefixVar], prefixVar) };
}

export function monitorSettingsFromEnv(env: NodeJS.ProcessEnv): MonitorSettings {
  const rawWindow = env.DRIFT_WINDOW_HOURS;
  const windowHours =
    rawWindow === undefined || rawWindow === "" ? DEFAULT_WINDOW_HOURS : Number(rawWindow);
  if (!Number.isInteger(windowHours) || windowHours < 1 || windowHours > 24 * 31)
    throw new ArtifactError(
      `DRIFT_WINDOW_HOURS must be a whole number of hours from 1 to 744, got ${JSON.stringify(rawWindow)}`,
    );
  let thresholds: DriftThresholds | undefined;
  if (env.DRIFT_THRESHOLDS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.DRIFT_THRESHOLDS);
    } catch {
      throw new ArtifactError(
        "DRIFT_THRESHOLDS must be JSON (DriftThresholds, docs/monitoring.md)",
      );
    }
    const checked = safeParseEnglish(thresholdsSchema, parsed);
    if (!checked.success)
      throw new ArtifactError(
        `DRIFT_THRESHOLDS: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    thresholds = checked.data;
  }
  return {
    capture: location(env, "CAPTURE_BUCKET", "CAPTURE_PREFIX"),
    reports: location(env, "REPORTS_BUCKET", "REPORTS_PREFIX"),
    windowHours,
    thresholds,
  };
}
