/**
 * The alarms of a LambdaInferenceApi, and which of them guard a rollout. A guard must be able to
 * fire within the bake (10 minutes by default), so it looks at 60-second periods: function
 * errors and the API's 5xx rate (the handler answers a model it cannot load with 503s, which
 * Lambda does not count as errors), and the errors and p99 duration of the version being rolled
 * out, told apart by the `Resource` (`<function>:<alias>`) and `ExecutedVersion` dimensions
 * Lambda gives invocations through an alias. Throttles, the 4xx rate and the function-wide p99
 * duration keep 5-minute periods and guard nothing: throttles are the function's concurrency,
 * shared by both versions, so rolling back cures nothing; 4xx come from clients, and one bad
 * client during a bake must not roll a good version back; and the function-wide duration is a
 * trend over 15 minutes that the per-version alarm already covers within the bake.
 */
import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmTargets, createAlarm, errorRateQueries } from "./alarms.js";
import { lambdaApiMetrics } from "./lambda-api-metrics.js";

/** Seconds per period of the alarms that guard a rollout's bake. */
export const GUARD_PERIOD = 60;

/** The alarms a LambdaInferenceApi creates, by what they watch. */
export interface LambdaInferenceApiAlarms {
  readonly errors: aws.cloudwatch.MetricAlarm;
  readonly throttles: aws.cloudwatch.MetricAlarm;
  readonly duration: aws.cloudwatch.MetricAlarm;
  readonly serverErrors: aws.cloudwatch.MetricAlarm;
  readonly clientErrors: aws.cloudwatch.MetricAlarm;
  /** Errors of the newest published version, invoked through the live alias. */
  readonly canaryErrors: aws.cloudwatch.MetricAlarm;
  /** p99 duration of the newest published version, invoked through the live alias. */
  readonly canaryDuration: aws.cloudwatch.MetricAlarm;
}

/** The alarms that stop a rollout and roll it back (CodeDeploy's deployment group watches them). */
export const GUARD_ALARMS = ["errors", "serverErrors", "canaryErrors", "canaryDuration"] as const;

export interface WatchedApi {
  readonly functionName: pulumi.Output<string>;
  /** The version a rollout moves the alias to: the function's newest published version. */
  readonly functionVersion: pulumi.Output<string>;
  readonly aliasName: pulumi.Output<string>;
  readonly apiId: pulumi.Output<string>;
  /** The function's timeout in seconds. */
  readonly timeout: pulumi.Input<number>;
  readonly serverErrorRateThreshold: pulumi.Input<number>;
  readonly clientErrorRateThreshold: pulumi.Input<number>;
}

export function createLambdaApiAlarms(
  name: string,
  watched: WatchedApi,
  targets: AlarmTargets,
  opts: pulumi.CustomResourceOptions,
): LambdaInferenceApiAlarms {
  const metrics = lambdaApiMetrics<pulumi.Input<string>>(watched);
  const guard = { period: GUARD_PERIOD };
  // Lambda publishes these only for invocations through an alias (or a version ARN)
  const canary = { ...guard, scope: { version: watched.functionVersion } };
  const nearTimeout = pulumi.output(watched.timeout).apply((seconds) => seconds * 1000 * 0.8);
  return {
    errors: createAlarm(
      `${name}-errors-alarm`,
      {
        description:
          "The function failed (threw, timed out or could not start) in the last minute. The handler answers bad input with a 4xx and never throws, so this is a bug, a timeout or an init failure. Guards rollouts.",
        threshold: 1,
        metric: metrics.functionErrors(guard),
      },
      targets,
      opts,
    ),
    throttles: createAlarm(
      `${name}-throttles-alarm`,
      {
        description:
          "Lambda refused invocations for lack of concurrency: callers got 429s or 5xx. Raise the reserved concurrency or the account limit.",
        threshold: 1,
        metric: metrics.throttles(),
      },
      targets,
      opts,
    ),
    duration: createAlarm(
      `${name}-duration-alarm`,
      {
        description:
          "The p99 invocation time is above 80% of the function's timeout: requests are about to time out.",
        threshold: nearTimeout,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        metric: metrics.duration({ statistic: "p99" }),
      },
      targets,
      opts,
    ),
    serverErrors: createAlarm(
      `${name}-5xx-alarm`,
      {
        description:
          "More than the threshold percentage of API requests were answered 5xx in the last minute: the model could not load, the function failed, or API Gateway could not reach it. Guards rollouts.",
        threshold: watched.serverErrorRateThreshold,
        queries: errorRateQueries(
          metrics.requests(guard),
          metrics.errors("5xx", guard),
          1,
          "5xx (% of requests)",
        ),
      },
      targets,
      opts,
    ),
    clientErrors: createAlarm(
      `${name}-4xx-alarm`,
      {
        description:
          "More than the threshold percentage of API requests (at least 20) were answered 4xx in 5 minutes: a client sends bad input, calls a wrong route, is throttled, or (auth iam or jwt) is refused by API Gateway for a missing signature or token (403, 401).",
        threshold: watched.clientErrorRateThreshold,
        queries: errorRateQueries(
          metrics.requests({ period: 300 }),
          metrics.errors("4xx", { period: 300 }),
          20,
          "4xx (% of requests)",
        ),
      },
      targets,
      opts,
    ),
    canaryErrors: createAlarm(
      `${name}-canary-errors-alarm`,
      {
        description:
          "The function's newest version (the one a rollout moves the live alias to) failed in the last minute. During a rollout this is the canary: CodeDeploy rolls the alias back. Guards rollouts.",
        threshold: 1,
        metric: metrics.functionErrors(canary),
      },
      targets,
      opts,
    ),
    canaryDuration: createAlarm(
      `${name}-canary-duration-alarm`,
      {
        description:
          "The p99 invocation time of the function's newest version (the canary during a rollout) is above 80% of the timeout in 2 of 3 minutes. Guards rollouts.",
        threshold: nearTimeout,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        metric: metrics.duration({ ...canary, statistic: "p99" }),
      },
      targets,
      opts,
    ),
  };
}
