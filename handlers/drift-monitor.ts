/**
 * The DriftMonitor's scheduled function, as a factory (like handlers/api.ts): the model loader,
 * the S3 client, the logger, the metrics and the three monitoring modules are given, so tests
 * build it for any situation and drift-monitor-lambda.ts builds the real one.
 *
 * One run: the window [now - window, now]; the served model's training profile (the artifact
 * verified as the API verifies it, then `manifest.training_profile`); the capture read from
 * `s3://<capture bucket>/<prefix>` (readCapture); the figures (computeDrift); the figures as EMF
 * metrics; the HTML report (renderDriftReport) and the JSON report written to the reports prefix,
 * dated objects first, then `latest.html` / `latest.json`. Everything is computed before anything
 * is written, so a failing read or render writes nothing: the run logs the error, publishes
 * `drift_run_errors` and throws (Lambda counts an error, the "no run" alarm sees no verdict).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import type { Predictor } from "../core/predictor.js";
import type {
  CaptureRecord,
  DriftReport,
  DriftThresholds,
  TrainingProfile,
} from "../monitoring/types.js";
import { parseTrainingProfile } from "./drift-profile.js";

/** The contract's readCapture (monitoring/capture-read.ts). */
export type ReadCapture = (
  location: string,
  options?: { since?: Date; until?: Date; s3?: S3Client; signal?: AbortSignal },
) => AsyncIterable<CaptureRecord>;
/** The contract's computeDrift (monitoring/drift.ts). */
export type ComputeDrift = (input: {
  modelVersion: string;
  profile: TrainingProfile;
  records: AsyncIterable<CaptureRecord> | Iterable<CaptureRecord>;
  since: Date;
  until: Date;
  thresholds?: DriftThresholds;
}) => Promise<DriftReport>;
/** The contract's renderDriftReport (reports/drift-report.ts). */
export type RenderReport = (report: DriftReport) => Promise<string>;

export interface MonitorModules {
  readCapture: ReadCapture;
  computeDrift: ComputeDrift;
  renderReport: RenderReport;
}

/** A bucket and a key prefix ("" or ending in "/"). */
export interface S3Prefix {
  readonly bucket: string;
  readonly prefix: string;
}

export interface DriftMonitorOptions {
  /** Loads and verifies the served model; once per execution environment, again after a failure. */
  loadModel: () => Promise<Predictor>;
  /** The client the capture is read and the reports are written with (timeouts and retries set). */
  s3: S3Client;
  capture: S3Prefix;
  reports: S3Prefix;
  /** Hours of traffic each run looks at, ending now. */
  windowHours: number;
  /** Default: the drift module's DEFAULT_THRESHOLDS. */
  thresholds?: DriftThresholds | undefined;
  logger: Logger;
  metrics: Metrics;
  /** The monitoring modules, loaded on the first run (drift-monitor-modules.ts) unless given. */
  modules: () => Promise<MonitorModules>;
  /** Longest one PutObject may take, its retries included. Default 10 s. */
  putTimeoutMs?: number;
  /** Time kept back from the invocation's deadline to log and publish a failure. Default 5 s. */
  marginMs?: number;
  now?: () => Date;
}

export interface RunSummary {
  model_version: string;
  since: string;
  until: string;
  rows: number;
  verdict: DriftReport["verdict"];
  /** s3:// URIs written, dated first, then latest. */
  reports: string[];
}

/** What the scheduler sends (nothing the run depends on) and what the function returns. */
export type DriftMonitorHandler = (event: unknown, context: Context) => Promise<RunSummary>;

/** drift_verdict's value: what the alarm at >= 2 reads. */
export const VERDICT_VALUE = { ok: 0, warn: 1, drift: 2 } as const;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `<prefix>yyyy/mm/dd/HHMMSSZ`: one run's objects, sortable, UTC. */
export function reportBase(prefix: string, at: Date): string {
  const day = `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}`;
  const time = `${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}Z`;
  return `${prefix}${day}/${time}`;
}

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** The figures of the run as EMF metrics: one line, under {defaults} and {defaults, ModelVersion}. */
function publishFigures(metrics: Metrics, report: DriftReport, logger: Logger): void {
  metrics.addDimensions({});
  metrics.addDimensions({ ModelVersion: report.model_version });
  const add = (name: string, value: number, unit: Unit = MetricUnit.NoUnit) => {
    // no rows give no PSI or KS; CloudWatch takes no NaN, and a missing figure is honest
    if (Number.isFinite(value)) metrics.addMetric(name, unit, value);
    else logger.warn("figure not published", { metric: name, value: String(value) });
  };
  add("rows", report.overall.rows, MetricUnit.Count);
  add("drift_verdict", VERDICT_VALUE[report.verdict]);
  add("not_iris_share", report.overall.not_iris_share);
  for (const f of report.overall.features) {
    add(`drift_psi_${f.feature}`, f.psi);
    add(`drift_ks_${f.feature}`, f.ks);
  }
  metrics.publishStoredMetrics();
}

/**
 * `call` given an abort signal, and ended by a TimeoutError after `ms` or when `deadline` aborts,
 * even if the call ignores its signal (the SDK's retries happen inside it). A timer of its own, not
 * AbortSignal.timeout, whose timer does not keep the process alive.
 */
export async function within<T>(
  ms: number,
  deadline: AbortSignal,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const fail = () => {
      const error = new Error(`${what}: no answer within ${ms} ms or before the run's deadline`);
      error.name = "TimeoutError";
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(fail, ms);
    if (deadline.aborted) fail();
    else deadline.addEventListener("abort", fail, { once: true });
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function createDriftMonitorHandler(options: DriftMonitorOptions): DriftMonitorHandler {
  const { logger, metrics, s3, capture, reports } = options;
  const now = options.now ?? (() => new Date());
  const putTimeoutMs = options.putTimeoutMs ?? 10_000;
  const marginMs = options.marginMs ?? 5_000;
  let loading: Promise<Predictor> | undefined;
  const model = () => {
    loading ??= options.loadModel().catch((error: Error) => {
      loading = undefined; // the next run tries again
      throw error;
    });
    return loading;
  };
  let modules: Promise<MonitorModules> | undefined;

  const put = async (
    key: string,
    body: string,
    contentType: string,
    deadline: AbortSignal,
    latest = false,
  ) => {
    await within(putTimeoutMs, deadline, `PutObject s3://${reports.bucket}/${key}`, (signal) =>
      s3.send(
        new PutObjectCommand({
          Bucket: reports.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          // latest.* are overwritten each run: a browser or proxy must not keep an old one
          ...(latest ? { CacheControl: "no-cache" } : {}),
        }),
        { abortSignal: signal },
      ),
    );
    return `s3://${reports.bucket}/${key}`;
  };

  const run = async (deadline: AbortSignal): Promise<RunSummary> => {
    const until = now();
    const since = new Date(until.getTime() - options.windowHours * 3_600_000);
    const predictor = await model();
    const profile = parseTrainingProfile(
      predictor.manifest.training_profile,
      predictor.modelVersion,
    );
    modules ??= options.modules().catch((error: Error) => {
      modules = undefined;
      throw error;
    });
    const { readCapture, computeDrift, renderReport } = await modules;
    const location = `s3://${capture.bucket}/${capture.prefix}`;
    logger.info("drift run", {
      model_version: predictor.modelVersion,
      capture: location,
      since: since.toISOString(),
      until: until.toISOString(),
    });
    const report = await computeDrift({
      modelVersion: predictor.modelVersion,
      profile,
      records: readCapture(location, { since, until, s3, signal: deadline }),
      since,
      until,
      ...(options.thresholds ? { thresholds: options.thresholds } : {}),
    });
    const html = await renderReport(report);
    const json = `${JSON.stringify(report)}\n`;
    publishFigures(metrics, report, logger);
    // dated first: a run that dies between the two leaves the dated report and the previous latest
    const base = reportBase(reports.prefix, until);
    const written = [
      await put(`${base}.html`, html, "text/html; charset=utf-8", deadline),
      await put(`${base}.json`, json, "application/json", deadline),
      await put(`${reports.prefix}latest.html`, html, "text/html; charset=utf-8", deadline, true),
      await put(`${reports.prefix}latest.json`, json, "application/json", deadline, true),
    ];
    const summary: RunSummary = {
      model_version: report.model_version,
      since: report.since,
      until: report.until,
      rows: report.overall.rows,
      verdict: report.verdict,
      reports: written,
    };
    logger.info("drift report written", { ...summary });
    return summary;
  };

  return async (_event, context) => {
    logger.addContext(context);
    const remaining = context.getRemainingTimeInMillis?.() ?? 900_000;
    const deadline = AbortSignal.timeout(Math.max(remaining - marginMs, 1_000));
    try {
      return await run(deadline);
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      logger.error("drift run failed", error);
      metrics.addMetric("drift_run_errors", MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
}
