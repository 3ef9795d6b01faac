/**
 * The metrics of a SageMakerEndpoint, each written once: invocations, errors and latencies
 * (AWS/SageMaker) and the instances' utilisation (/aws/sagemaker/Endpoints), both by EndpointName
 * and VariantName, and the container's per-version metrics (sagemaker-version-metrics.ts: the
 * endpoint in the namespace, by ModelVersion). The component's `metric…` methods, its alarms and
 * the stack's dashboard all take them from here. Every helper returns a Metric (metric.ts):
 * period 300 seconds, Sum for counts, p99 for latencies, Average for utilisation, unless the
 * options (or the defaults given here) say otherwise.
 */
import type * as pulumi from "@pulumi/pulumi";
import { combine, type MetricOptions, metricOf } from "./metric.js";
import { VARIANT_NAME } from "./sagemaker-endpoint-args.js";
import { type VersionMetric, versionMetricsNamespace } from "./sagemaker-version-metrics.js";

export interface EndpointMetricNames<V> {
  readonly endpointName: V;
  /** Default "AllTraffic", the component's one variant. */
  readonly variantName?: string | V;
}

export interface VersionMetricOptions<V = pulumi.Input<string>> extends MetricOptions {
  /**
   * The model version (its `model_version`). Default: none, the metric to SEARCH by
   * `ModelVersion` (metricSearch), as the dashboard does: the filters publish none without it.
   */
  readonly modelVersion?: V;
}

/** SageMaker's names for the answers of the container by status class. */
export type EndpointErrorClass = "4xx" | "5xx";

/**
 * The helpers over these names; `defaults` apply to every metric they return (a dashboard's
 * period), under each call's options.
 */
export function endpointMetrics<V extends pulumi.Input<string>>(
  names: EndpointMetricNames<V>,
  defaults?: MetricOptions,
) {
  const variant = {
    EndpointName: names.endpointName,
    VariantName: names.variantName ?? VARIANT_NAME,
  };
  const sagemaker = (metricName: string, statistic: "Sum" | "p99", o?: MetricOptions) =>
    metricOf<V>(
      { namespace: "AWS/SageMaker", metricName, dimensions: variant, statistic },
      defaults,
      o,
    );
  const instance = (metricName: string, o?: MetricOptions) =>
    metricOf<V>(
      {
        namespace: "/aws/sagemaker/Endpoints",
        metricName,
        dimensions: variant,
        statistic: "Average",
      },
      defaults,
      o,
    );
  return {
    /** Any AWS/SageMaker metric of the variant. Default Sum. */
    metric: (metricName: string, o?: MetricOptions) => sagemaker(metricName, "Sum", o),
    invocations: (o?: MetricOptions) => sagemaker("Invocations", "Sum", o),
    /** Invocations the container answered 4xx or 5xx (`Invocation4XXErrors`, `Invocation5XXErrors`). */
    errors: (kind: EndpointErrorClass, o?: MetricOptions) =>
      sagemaker(`Invocation${kind.toUpperCase()}Errors`, "Sum", o),
    /** Microseconds the container took to answer. Default p99. */
    modelLatency: (o?: MetricOptions) => sagemaker("ModelLatency", "p99", o),
    /** Microseconds SageMaker added around the container. Default p99. */
    overheadLatency: (o?: MetricOptions) => sagemaker("OverheadLatency", "p99", o),

    /** Any /aws/sagemaker/Endpoints metric of the variant's instances. Default Average. */
    instance: (metricName: string, o?: MetricOptions) => instance(metricName, o),
    /** Percent, summed over vCPUs (0 to 100 × vCPUs). Instances only. */
    cpuUtilization: (o?: MetricOptions) => instance("CPUUtilization", o),
    /** Percent. Instances only. */
    memoryUtilization: (o?: MetricOptions) => instance("MemoryUtilization", o),
    /** Percent. Instances only. */
    diskUtilization: (o?: MetricOptions) => instance("DiskUtilization", o),

    /** One of the container's per-version metrics. Default Sum (Maximum for LatencyMsMax). */
    byModelVersion: (metricName: VersionMetric["metric"], o?: VersionMetricOptions<V>) =>
      metricOf<V>(
        {
          namespace: combine([names.endpointName], versionMetricsNamespace),
          metricName,
          dimensions: o?.modelVersion === undefined ? {} : { ModelVersion: o.modelVersion },
          statistic: metricName === "LatencyMsMax" ? "Maximum" : "Sum",
        },
        defaults,
        o,
      ),
  };
}

/** The helpers of a component, whose names are Pulumi inputs. */
export type EndpointMetrics = ReturnType<typeof endpointMetrics<pulumi.Input<string>>>;
