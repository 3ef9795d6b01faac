/**
 * The metrics of a DriftMonitor, each written once: the function's EMF figures
 * (handlers/drift-monitor.ts: namespace IrisMlops, by service `iris-mlops-drift` and
 * function_name, each also with ModelVersion) and its AWS/Lambda errors. The component's
 * `metric…` methods, its alarms and its dashboard widgets take them from here. Figures default to
 * Maximum (one datapoint per run: the worst run of a period), counts to Sum, and the period to
 * the run interval (runPeriodSeconds).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { FeatureName } from "../core/features.js";
import { APP_METRICS_NAMESPACE } from "./lambda-api-metrics.js";
import { type MetricOptions, metricOf } from "./metric.js";

/** The monitor function's service name (handlers/drift-monitor-lambda.ts MONITOR_SERVICE_NAME). */
export const MONITOR_SERVICE_NAME = "iris-mlops-drift";

export interface MonitorMetricOptions<V = pulumi.Input<string>> extends MetricOptions {
  /** Only the runs against this model version. Default: every version. */
  readonly modelVersion?: V;
}

export function driftMonitorMetrics<V extends pulumi.Input<string>>(
  names: { readonly functionName: V; readonly namespace?: string | V },
  defaults?: MetricOptions,
) {
  const app = (metricName: string, statistic: "Maximum" | "Sum", o?: MonitorMetricOptions<V>) =>
    metricOf<V>(
      {
        namespace: names.namespace ?? APP_METRICS_NAMESPACE,
        metricName,
        dimensions: {
          service: MONITOR_SERVICE_NAME,
          function_name: names.functionName,
          ...(o?.modelVersion === undefined ? {} : { ModelVersion: o.modelVersion }),
        },
        statistic,
      },
      defaults,
      o,
    );
  return {
    /** PSI of a feature's traffic against its training bins (`drift_psi_<feature>`). */
    psi: (feature: FeatureName, o?: MonitorMetricOptions<V>) =>
      app(`drift_psi_${feature}`, "Maximum", o),
    /** Two-sample KS statistic of a feature (`drift_ks_<feature>`). */
    ks: (feature: FeatureName, o?: MonitorMetricOptions<V>) =>
      app(`drift_ks_${feature}`, "Maximum", o),
    /** The run's verdict: 0 ok, 1 warn, 2 drift (`drift_verdict`). */
    verdict: (o?: MonitorMetricOptions<V>) => app("drift_verdict", "Maximum", o),
    /** Share of the window's rows the model found to be no Iris (`not_iris_share`). */
    notIrisShare: (o?: MonitorMetricOptions<V>) => app("not_iris_share", "Maximum", o),
    /** Captured rows in the window (`rows`). */
    rows: (o?: MonitorMetricOptions<V>) => app("rows", "Maximum", o),
    /** Runs that failed (`drift_run_errors`). */
    runErrors: (o?: MonitorMetricOptions<V>) => app("drift_run_errors", "Sum", o),
    /** The function's invocations that failed (AWS/Lambda Errors). */
    functionErrors: (o?: MetricOptions) =>
      metricOf<V>(
        {
          namespace: "AWS/Lambda",
          metricName: "Errors",
          dimensions: { FunctionName: names.functionName },
          statistic: "Sum",
        },
        defaults,
        o,
      ),
  };
}

export type DriftMonitorMetrics = ReturnType<typeof driftMonitorMetrics<pulumi.Input<string>>>;

const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };

/**
 * Seconds between runs of a `rate(N unit)` expression; undefined for `cron(...)` and `at(...)`,
 * whose intervals vary. Throws on anything else, in words (Scheduler's own error comes later).
 */
export function rateSeconds(expression: string): number | undefined {
  if (/^(cron|at)\(.+\)$/.test(expression)) return undefined;
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  const n = Number(match?.[1]);
  if (!match || !(n >= 1) || (n === 1) !== !expression.endsWith("s)"))
    throw new Error(
      `scheduleExpression must be rate(1 hour), rate(N hours) (minute, hour or day; singular for 1) or a cron(...) / at(...) expression, got ${JSON.stringify(expression)}`,
    );
  return n * (UNIT_SECONDS[match[2] as string] as number);
}

/**
 * The alarms' period and periods looked at: one run interval, and two of them for "no run"
 * (CloudWatch evaluates at most a day: period × periods <= 86,400 s). Cron schedules: a day.
 */
export function runPeriods(expression: string): { period: number; noRunPeriods: number } {
  const seconds = rateSeconds(expression) ?? 86400;
  const period = Math.min(Math.max(60, seconds), 86400);
  return { period, noRunPeriods: period * 2 <= 86400 ? 2 : 1 };
}
