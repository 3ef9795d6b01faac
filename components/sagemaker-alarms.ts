/**
 * The alarms of a SageMakerEndpoint, on AWS/SageMaker metrics by EndpointName and VariantName.
 * The 5xx and latency alarms also guard every rollout's bake (the endpoint's
 * autoRollbackConfiguration): they use 60-second periods so they can fire within a bake of a
 * few minutes. The 4xx rate does not guard a bake: 4xx answers mean callers sent bad input,
 * which a new model does not change, so one misbehaving client would roll back a good model.
 *
 * The alarms' logical names are the ones they always had: a new name is a new alarm (a
 * replacement), not an update.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmTargets, createAlarm, errorRateQueries } from "./alarms.js";
import { endpointMetrics } from "./sagemaker-metrics.js";

/** The alarms a SageMakerEndpoint creates, by what they watch; cpu and memory for instances only. */
export interface SageMakerEndpointAlarms {
  readonly serverErrors: aws.cloudwatch.MetricAlarm;
  readonly clientErrors: aws.cloudwatch.MetricAlarm;
  readonly modelLatency: aws.cloudwatch.MetricAlarm;
  readonly cpu?: aws.cloudwatch.MetricAlarm;
  readonly memory?: aws.cloudwatch.MetricAlarm;
}

/** The alarms SageMaker watches during a rollout's bake and rolls back on. */
export const ROLLBACK_ALARMS = ["serverErrors", "modelLatency"] as const;

/** Seconds per period of the alarms that guard a bake. */
export const BAKE_ALARM_PERIOD = 60;

/**
 * vCPUs of an ML instance type from its size (ml.m5.large: 2, ml.m5.xlarge: 4, ml.c5.2xlarge: 8),
 * which holds across the general-purpose, compute and memory families. SageMaker reports
 * CPUUtilization summed over vCPUs (0 to 100 × vCPUs), so the CPU alarm's threshold scales with it.
 */
export function vcpusOf(instanceType: string): number {
  const size = instanceType.split(".").at(-1) ?? "";
  if (size === "medium" || size === "large") return 2;
  if (size === "xlarge") return 4;
  const multiple = /^(\d+)xlarge$/.exec(size);
  return multiple ? 4 * Number(multiple[1]) : 2;
}

export interface EndpointAlarmArgs {
  readonly endpointName: pulumi.Input<string>;
  readonly variantName: string;
  readonly serverless: boolean;
  readonly instanceType: pulumi.Input<string>;
  /** p99 model latency (milliseconds) that fires the latency alarm. */
  readonly modelLatencyThresholdMs: pulumi.Input<number>;
}

export function createEndpointAlarms(
  name: string,
  args: EndpointAlarmArgs,
  targets: AlarmTargets,
  opts: pulumi.CustomResourceOptions,
): SageMakerEndpointAlarms {
  const metrics = endpointMetrics<pulumi.Input<string>>(args);
  const instanceAlarm = (kind: "cpu" | "memory", threshold: pulumi.Input<number>) =>
    createAlarm(
      `${name}-${kind}-alarm`,
      {
        description:
          kind === "cpu"
            ? "The instances' average CPU is above 80% of their vCPUs for 15 minutes: autoscaling is at its maximum or too slow. Raise maxInstanceCount or the instance type."
            : "The instances' average memory use is above 80% for 15 minutes: the container may be killed. Use a larger instance type.",
        threshold,
        evaluationPeriods: 3,
        metric: (kind === "cpu" ? metrics.cpuUtilization : metrics.memoryUtilization)({
          statistic: "Average",
          period: 300,
        }),
      },
      targets,
      opts,
    );
  return {
    serverErrors: createAlarm(
      `${name}-5xx-alarm`,
      {
        description:
          "The model container answered 5xx within a minute: it failed to load the model or crashed. During a rollout SageMaker rolls the endpoint back. Check the endpoint's logs (/aws/sagemaker/Endpoints/<endpoint>).",
        threshold: 1,
        metric: metrics.errors("5xx", { period: BAKE_ALARM_PERIOD }),
      },
      targets,
      opts,
    ),
    clientErrors: createAlarm(
      `${name}-4xx-alarm`,
      {
        description:
          "More than 20% of invocations (at least 20 in 5 minutes) were answered 4xx: a caller sends bad input or an unsupported content type.",
        threshold: 20,
        queries: errorRateQueries(
          metrics.invocations({ period: 300 }),
          metrics.errors("4xx", { period: 300 }),
          20,
          "4xx (% of invocations)",
        ),
      },
      targets,
      opts,
    ),
    modelLatency: createAlarm(
      `${name}-latency-alarm`,
      {
        description:
          "The p99 time the container takes to answer is above the threshold in 2 of 3 minutes. During a rollout SageMaker rolls the endpoint back.",
        // ModelLatency is in microseconds
        threshold: pulumi.output(args.modelLatencyThresholdMs).apply((ms) => ms * 1000),
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        metric: metrics.modelLatency({ statistic: "p99", period: BAKE_ALARM_PERIOD }),
      },
      targets,
      opts,
    ),
    ...(args.serverless
      ? {}
      : {
          cpu: instanceAlarm(
            "cpu",
            pulumi.output(args.instanceType).apply((t) => 80 * vcpusOf(t)),
          ),
          memory: instanceAlarm("memory", 80),
        }),
  };
}
