/**
 * CloudWatch alarms as the components create them: one shape for every alarm, so each states only
 * what it watches and when it fires. Missing data (no traffic) never alarms, unless the alarm is
 * about a datapoint that must come (a scheduled run's): then `treatMissingData: "breaching"`.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { alarmMetric, type Metric, metricQuery } from "./metric.js";

/** What every alarm of a component shares: where it notifies, and its tags. */
export interface AlarmTargets {
  /** ARNs notified when an alarm fires and when it clears (e.g. an SNS topic). */
  readonly actions?: pulumi.Input<pulumi.Input<string>[]>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The alarm arguments of a component that has alarms (flat in its args). */
export interface AlarmArgs {
  /** Create the component's alarms. Decides which resources exist, so it is a plain value. Default true. */
  readonly alarms?: boolean;
  /** ARNs the alarms notify when they fire and clear, e.g. an SNS topic. Default: none (console only). */
  readonly alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface AlarmSpec {
  /** Shown in the console, the notification and the runbook (docs/runbook.md has one section per alarm). */
  readonly description: string;
  readonly comparisonOperator?:
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold";
  /** Default "notBreaching": no traffic is no incident. */
  readonly treatMissingData?: "breaching" | "notBreaching";
  readonly threshold: pulumi.Input<number>;
  /** Periods looked at, and how many of them must breach. Default 1 of 1. */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  /** One metric (its period is the evaluated period)… */
  readonly metric?: Metric;
  /** …or metric math: the queries, the last of which is the alarm's value. */
  readonly queries?: pulumi.Input<aws.types.input.cloudwatch.MetricAlarmMetricQuery>[];
}

export function createAlarm(
  name: string,
  spec: AlarmSpec,
  targets: AlarmTargets,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    name,
    {
      alarmDescription: spec.description,
      comparisonOperator: spec.comparisonOperator ?? "GreaterThanOrEqualToThreshold",
      threshold: spec.threshold,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
      treatMissingData: spec.treatMissingData ?? "notBreaching",
      ...(spec.metric ? alarmMetric(spec.metric) : { metricQueries: spec.queries }),
      alarmActions: targets.actions ?? [],
      okActions: targets.actions ?? [],
      tags: targets.tags,
    },
    opts,
  );
}

/**
 * Metric math for "errors as a percentage of requests", zero while fewer than `minRequests`
 * requests arrived in the period (a single bad request at 3 a.m. is not an incident).
 */
export function errorRateQueries(
  requests: Metric,
  errors: Metric,
  minRequests: number,
  label: string,
): aws.types.input.cloudwatch.MetricAlarmMetricQuery[] {
  return [
    metricQuery("requests", requests),
    metricQuery("errors", errors),
    {
      id: "rate",
      expression: `IF(requests >= ${minRequests}, 100 * errors / requests, 0)`,
      label,
      returnData: true,
    },
  ];
}
