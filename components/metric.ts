/**
 * One CloudWatch metric as a value: namespace, name, dimensions, statistic and period, written
 * once by the components' metric helpers (lambda-api-metrics.ts, sagemaker-metrics.ts) and turned
 * here into what takes a metric: a MetricAlarm's metric fields, a metric-math query, a dashboard
 * graph's metric line or a SEARCH over one of its dimensions. Like CDK's `Metric`, but plain data,
 * with Pulumi inputs where a name is only known at deploy time.
 *
 * `V` is the type of the names in it: `pulumi.Input<string>` on a component, where the function
 * name or endpoint name is an Output; `string` once resolved (a dashboard body is built from
 * resolved names, resolveMetric resolves one).
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const STANDARD_STATISTICS = ["Sum", "Average", "Minimum", "Maximum", "SampleCount"] as const;
type StandardStatistic = (typeof STANDARD_STATISTICS)[number];

/** CloudWatch's statistics, and percentiles (`p50`, `p99`, `p99.9`). */
export type Statistic = StandardStatistic | `p${number}`;

/** Percentiles go in an alarm's `extendedStatistic`, CloudWatch's five in its `statistic`. */
const isStandard = (statistic: Statistic): statistic is StandardStatistic =>
  (STANDARD_STATISTICS as readonly string[]).includes(statistic);

/** What every metric helper accepts to change its defaults. */
export interface MetricOptions {
  /** Seconds per datapoint (60, or a multiple of 60). Default 300 (each helper documents its own). */
  readonly period?: number;
  /** Default: the helper's (Sum for counts, p99 for latencies, Average for utilisation). */
  readonly statistic?: Statistic;
  /** The line's name on a graph. Default: none (CloudWatch shows the metric's name). */
  readonly label?: string;
  /** Only datapoints published with this unit (e.g. "Count", "Milliseconds"). Default: any. */
  readonly unit?: string;
}

export interface Metric<V = pulumi.Input<string>> {
  readonly namespace: string | V;
  readonly metricName: string;
  /** Name to value, in the order a dashboard line lists them. */
  readonly dimensions: Readonly<Record<string, string | V>>;
  readonly statistic: Statistic;
  readonly period: number;
  readonly label?: string;
  readonly unit?: string;
}

/** A metric whose names are known: what a dashboard body is built from. */
export type ResolvedMetric = Metric<string>;

export const DEFAULT_PERIOD = 300;

/**
 * A metric with the helper's defaults, then the caller's defaults (e.g. a dashboard's period),
 * then the options of the call. Options left undefined keep what is under them.
 */
export function metricOf<V>(
  base: {
    namespace: string | V;
    metricName: string;
    dimensions: Record<string, string | V>;
    statistic: Statistic;
  },
  ...options: (MetricOptions | undefined)[]
): Metric<V> {
  const given = <K extends keyof MetricOptions>(key: K) =>
    options.reduce<MetricOptions[K]>((found, o) => o?.[key] ?? found, undefined);
  const label = given("label");
  const unit = given("unit");
  return {
    ...base,
    statistic: given("statistic") ?? base.statistic,
    period: given("period") ?? DEFAULT_PERIOD,
    ...(label === undefined ? {} : { label }),
    ...(unit === undefined ? {} : { unit }),
  };
}

/**
 * A name made of others (`<function>:<alias>`, a namespace with the endpoint in it): a string
 * when they all are, else an Output. Either way a value of the names' own type `V`, since `V` is
 * a string or a Pulumi input, and an Output is a Pulumi input.
 */
export function combine<V extends pulumi.Input<string>>(
  parts: readonly (string | V)[],
  make: (...resolved: string[]) => string,
): V {
  if (parts.every((p): p is string => typeof p === "string")) return make(...parts) as V;
  // not all strings, so V is not `string`: it is an Output or a Pulumi input, and an Output is one
  return pulumi.all([...parts]).apply((resolved) => make(...resolved)) as unknown as V;
}

/** A single-metric MetricAlarm's metric fields (its label, which alarms have not, left out). */
export function alarmMetric(m: Metric) {
  return {
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: m.dimensions,
    period: m.period,
    ...(isStandard(m.statistic) ? { statistic: m.statistic } : { extendedStatistic: m.statistic }),
    ...(m.unit === undefined ? {} : { unit: m.unit }),
  };
}

/** A metric-math alarm's query that fetches the metric, for an expression to use as `id`. */
export function metricQuery(
  id: string,
  m: Metric,
): aws.types.input.cloudwatch.MetricAlarmMetricQuery {
  return {
    id,
    ...(m.label === undefined ? {} : { label: m.label }),
    metric: {
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: m.dimensions,
      period: m.period,
      stat: m.statistic,
      ...(m.unit === undefined ? {} : { unit: m.unit }),
    },
  };
}

/** The metric with its names resolved, for a dashboard body of your own. */
export function resolveMetric(m: Metric): pulumi.Output<ResolvedMetric> {
  const names = Object.keys(m.dimensions);
  return pulumi
    .all([m.namespace, ...names.map((n) => m.dimensions[n])])
    .apply(([namespace, ...values]) => ({
      ...m,
      namespace: namespace as string,
      dimensions: Object.fromEntries(names.map((n, i) => [n, values[i] as string])),
    }));
}

/**
 * A line of a dashboard graph (CloudWatch dashboard body: `[namespace, name, dimension, value, …,
 * { label, stat, period }]`). The period is given only where it is not the graph's own.
 */
export function dashboardMetric(m: ResolvedMetric, graphPeriod: number): unknown[] {
  return [
    m.namespace,
    m.metricName,
    ...Object.entries(m.dimensions).flat(),
    {
      ...(m.label === undefined ? {} : { label: m.label }),
      stat: m.statistic,
      ...(m.period === graphPeriod ? {} : { period: m.period }),
    },
  ];
}

/**
 * A dashboard line per value of the dimensions in `by` (a version, an error code), found by a
 * SEARCH expression over the metric's namespace: the search's schema is the metric's dimensions
 * and `by`, it pins the metric's other dimensions to their values. A dimension both in the metric
 * and in `by` is left free (e.g. the handler's service: a function has one).
 */
export function metricSearch(
  m: ResolvedMetric,
  search: { readonly id: string; readonly by: readonly string[]; readonly label?: string },
) {
  const schema = [...new Set([...Object.keys(m.dimensions), ...search.by])].sort();
  const pinned = Object.entries(m.dimensions).filter(([name]) => !search.by.includes(name));
  const terms = [`MetricName="${m.metricName}"`, ...pinned.map(([n, v]) => `${n}="${v}"`)];
  return {
    expression: `SEARCH('{${[m.namespace, ...schema].join(",")}} ${terms.join(" ")}', '${m.statistic}', ${m.period})`,
    id: search.id,
    label: search.label ?? "",
  };
}
