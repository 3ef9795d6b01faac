/**
 * Per-version metrics of a SageMaker endpoint's container. AWS/SageMaker metrics know only the
 * endpoint and the variant, and during a blue/green rollout both fleets serve the one variant; the
 * container writes, once per minute in which it answered and once at shutdown, one log line per
 * model version (its "invocations summary" line), and these metric filters on the
 * endpoint's log group turn each line into metrics with a ModelVersion dimension, so a canary's
 * errors and latency show apart from the stable version's.
 *
 * A filter's dimensions are fields of the log event, and the line carries no endpoint name: the
 * endpoint is in the namespace instead (`IrisMlops/SageMaker/<endpoint>`), which keeps two stacks'
 * endpoints in one account apart even when they serve the same model version.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const SUMMARY_MESSAGE = "invocations summary";

/** Each metric, the summary's field it sums, and its CloudWatch unit. */
export const VERSION_METRICS = [
  { metric: "Invocations", field: "invocations", unit: "Count" },
  { metric: "ClientErrors", field: "clientErrors", unit: "Count" },
  { metric: "ServerErrors", field: "serverErrors", unit: "Count" },
  { metric: "LatencyMsSum", field: "latencyMsSum", unit: "Milliseconds" },
  { metric: "LatencyMsMax", field: "latencyMsMax", unit: "Milliseconds" },
] as const;

export type VersionMetric = (typeof VERSION_METRICS)[number];

/**
 * The filter pattern of one metric: summary lines that carry the version and the field. A field
 * published as the value (or a dimension) must be matched by the pattern, if only as `= *`.
 */
export const summaryPattern = (field: string) =>
  `{ ($.msg = "${SUMMARY_MESSAGE}") && ($.modelVersion = *) && ($.${field} = *) }`;

/** Where an endpoint's per-version metrics are published. */
export const versionMetricsNamespace = (endpointName: string) =>
  `IrisMlops/SageMaker/${endpointName}`;

export function createVersionMetricFilters(
  name: string,
  logGroupName: pulumi.Input<string>,
  endpointName: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.LogMetricFilter[] {
  return VERSION_METRICS.map(
    ({ metric, field, unit }) =>
      new aws.cloudwatch.LogMetricFilter(
        `${name}-${field}-filter`,
        {
          logGroupName,
          pattern: summaryPattern(field),
          metricTransformation: {
            name: metric,
            namespace: pulumi.output(endpointName).apply(versionMetricsNamespace),
            value: `$.${field}`,
            unit,
            dimensions: { ModelVersion: "$.modelVersion" },
          },
        },
        opts,
      ),
  );
}
