/**
 * The DriftMonitor's alarms: drift, the not-Iris share, the function's errors, and "no run" (no
 * verdict for the given run intervals, missing data breaching). Each looks at one run interval
 * (the metrics' period); the descriptions point to docs/runbook.md.
 */
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { type AlarmTargets, createAlarm } from "./alarms.js";
import type { DriftMonitorMetrics } from "./drift-monitor-metrics.js";

export interface DriftMonitorAlarms {
  /** drift_verdict reached 2 (drift). */
  readonly drift: aws.cloudwatch.MetricAlarm;
  readonly notIrisShare: aws.cloudwatch.MetricAlarm;
  /** The function failed (a run's error, a timeout, an init failure). */
  readonly errors: aws.cloudwatch.MetricAlarm;
  /** No verdict for two run intervals: the schedule, the role or the function is broken. */
  readonly noRun: aws.cloudwatch.MetricAlarm;
}

export function createMonitorAlarms(
  name: string,
  metrics: DriftMonitorMetrics,
  thresholds: { readonly notIrisShare: pulumi.Input<number>; readonly noRunPeriods: number },
  targets: AlarmTargets,
  parent: pulumi.CustomResourceOptions,
): DriftMonitorAlarms {
  return {
    drift: createAlarm(
      `${name}-drift-alarm`,
      {
        description:
          "The drift check's verdict is drift: live traffic no longer looks like the training data (a feature's PSI or KS, or the not-Iris share, at or above its drift threshold). Read the latest report (docs/runbook.md, Drift).",
        threshold: 2,
        metric: metrics.verdict(),
      },
      targets,
      parent,
    ),
    notIrisShare: createAlarm(
      `${name}-not-iris-alarm`,
      {
        description:
          "The share of captured requests the model found to be no Iris at all is at or above the threshold: callers send something else than Iris measurements (docs/runbook.md, Drift).",
        threshold: thresholds.notIrisShare,
        metric: metrics.notIrisShare(),
      },
      targets,
      parent,
    ),
    errors: createAlarm(
      `${name}-errors-alarm`,
      {
        description:
          "The drift check failed: it could not load the model or its training profile, read the capture, or write the report; its log says which. No half report was written.",
        threshold: 1,
        metric: metrics.functionErrors(),
      },
      targets,
      parent,
    ),
    noRun: createAlarm(
      `${name}-no-run-alarm`,
      {
        description:
          "No drift verdict for two run intervals: the schedule, its role or the function is broken, so drift would go unseen.",
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        evaluationPeriods: thresholds.noRunPeriods,
        treatMissingData: "breaching",
        metric: metrics.verdict({ statistic: "SampleCount" }),
      },
      targets,
      parent,
    ),
  };
}
