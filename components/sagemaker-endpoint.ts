/**
 * SageMakerEndpoint: the serving image (by digest) and the model (from S3) as a SageMaker Model,
 * an auto-named EndpointConfiguration (serverless, or instances with target-tracking autoscaling)
 * and an Endpoint.
 *
 * Rollouts: every Model and EndpointConfiguration property forces a replacement, and both are
 * auto-named, so a new image or model gives a new Model, then a new configuration under a new
 * name, then an in-place UpdateEndpoint to it (SageMaker's blue/green swap, no downtime), then
 * the old ones are deleted. The Endpoint itself keeps its name and is never replaced: never add
 * `deleteBeforeReplace` to the configuration or `replaceOnChanges` to the endpoint.
 *
 * The Endpoint is @pulumi/aws-native's (Cloud Control): it alone passes UpdateEndpoint's
 * `RetainAllVariantProperties`, without which every rollout resets the variant to the new
 * configuration's `initialInstanceCount`, undoing what autoscaling scaled out to
 * (hashicorp/terraform-provider-aws#48990). An instance type change while autoscaling is
 * registered is stopped before anything changes (InstanceTypeGuard).
 *
 * Each UpdateEndpoint is SageMaker's blue/green deployment with the endpoint's `deploymentConfig`
 * (sagemaker-rollout.ts): all at once, canary or linear, a bake under the 5xx and latency alarms
 * and rollback when one fires; EndpointRolloutCheck then fails `pulumi up` when SageMaker rolled
 * back. deploymentConfig changes the endpoint in place: the aws-native schema's only create-only
 * property is EndpointName (its createOnlyProperties), whereas @pulumi/aws's endpoint replaces
 * itself when the rollback alarms change (terraform-provider-aws
 * internal/service/sagemaker/endpoint.go: `auto_rollback_configuration` is ForceNew) — one more
 * reason to keep the aws-native endpoint.
 */
import * as aws from "@pulumi/aws";
import * as awsnative from "@pulumi/aws-native";
import * as pulumi from "@pulumi/pulumi";
import { EndpointRolloutCheck } from "./endpoint-rollout-check.js";
import { grantInvokePolicy, logicalNameOf } from "./grant-invoke.js";
import { InstanceTypeGuard } from "./instance-type-guard.js";
import type { MetricOptions } from "./metric.js";
import {
  createEndpointAlarms,
  ROLLBACK_ALARMS,
  type SageMakerEndpointAlarms,
} from "./sagemaker-alarms.js";
import { createVariantScaling } from "./sagemaker-autoscaling.js";
import { dataCaptureConfigFor } from "./sagemaker-capture.js";
import {
  batchPrefixesOf,
  checkDigestUri,
  checkEndpointArgs,
  endpointNameFor,
  type SageMakerEndpointArgs,
  VARIANT_NAME,
} from "./sagemaker-endpoint-args.js";
import {
  type EndpointErrorClass,
  type EndpointMetrics,
  endpointMetrics,
  type VersionMetricOptions,
} from "./sagemaker-metrics.js";
import { createEndpointModel } from "./sagemaker-model.js";
import {
  checkEndpointRollout,
  DEFAULT_ENDPOINT_ROLLOUT,
  deploymentConfigFor,
  rolloutCapacity,
  rolloutTimeoutSeconds,
} from "./sagemaker-rollout.js";
import { createVersionMetricFilters, type VersionMetric } from "./sagemaker-version-metrics.js";

export { type SageMakerEndpointAlarms, vcpusOf } from "./sagemaker-alarms.js";
export {
  endpointNameFor,
  type SageMakerEndpointArgs,
  VARIANT_NAME,
} from "./sagemaker-endpoint-args.js";
export type { EndpointRolloutType, SageMakerRollout } from "./sagemaker-rollout.js";

/** Seconds the rollout check waits past the rollout's own timeout, for SageMaker's rollback. */
const ROLLBACK_MARGIN_SECONDS = 900;

export class SageMakerEndpoint extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly model: aws.sagemaker.Model;
  readonly endpointConfiguration: aws.sagemaker.EndpointConfiguration;
  readonly endpoint: awsnative.sagemaker.Endpoint;
  /** Instances only: the autoscaling target and its target-tracking policy. */
  readonly scalingTarget?: aws.appautoscaling.Target;
  readonly scalingPolicy?: aws.appautoscaling.Policy;
  readonly endpointName: pulumi.Output<string>;
  readonly endpointArn: pulumi.Output<string>;
  readonly modelName: pulumi.Output<string>;
  readonly endpointConfigName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  /** Undefined when `alarms` is false. */
  readonly alarms?: SageMakerEndpointAlarms;
  /** The container's per-version metrics, from its log group (sagemaker-version-metrics.ts). */
  readonly versionMetricFilters: aws.cloudwatch.LogMetricFilter[];
  /** Fails `pulumi up` when SageMaker rolled the update back. */
  readonly rolloutCheck: EndpointRolloutCheck;
  private readonly componentName: string;

  // CloudWatch metrics for alarms and dashboards of your own (components/sagemaker-metrics.ts):
  // period 300 s, Sum for counts, p99 for latencies (µs), Average for utilisation (%), by
  // EndpointName and VariantName unless `{ period, statistic, label }` say otherwise
  private readonly metrics: EndpointMetrics;
  /** Any AWS/SageMaker metric of the variant. */
  readonly metric = (name: string, o?: MetricOptions) => this.metrics.metric(name, o);
  readonly metricInvocations = (o?: MetricOptions) => this.metrics.invocations(o);
  readonly metricErrors = (kind: EndpointErrorClass, o?: MetricOptions) =>
    this.metrics.errors(kind, o);
  readonly metricModelLatency = (o?: MetricOptions) => this.metrics.modelLatency(o);
  readonly metricOverheadLatency = (o?: MetricOptions) => this.metrics.overheadLatency(o);
  readonly metricCpuUtilization = (o?: MetricOptions) => this.metrics.cpuUtilization(o);
  readonly metricMemoryUtilization = (o?: MetricOptions) => this.metrics.memoryUtilization(o);
  readonly metricDiskUtilization = (o?: MetricOptions) => this.metrics.diskUtilization(o);
  /** The container's per-version metrics (sagemaker-version-metrics.ts), by ModelVersion. */
  readonly metricByModelVersion = (name: VersionMetric["metric"], o?: VersionMetricOptions) =>
    this.metrics.byModelVersion(name, o);

  constructor(name: string, args: SageMakerEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:SageMakerEndpoint", name, args, opts);
    const c = "SageMakerEndpoint";
    this.componentName = name;
    const { min, max } = checkEndpointArgs(c, args);
    const batch = batchPrefixesOf(args);
    const serverless = args.serverless ?? true;
    const autoscaling = !serverless && (args.autoscaling ?? true);
    const rollout = { ...DEFAULT_ENDPOINT_ROLLOUT, ...args.rollout };
    const capacity = rolloutCapacity({ ...args, serverless, autoscaling });
    checkEndpointRollout(c, rollout, capacity, args.alarms ?? true);
    const parent = { parent: this };

    const endpointName = pulumi.output(
      args.endpointName ?? endpointNameFor(pulumi.getProject(), pulumi.getStack(), name),
    );
    const imageUri = pulumi.output(args.imageUri).apply(checkDigestUri);
    const partition = aws.getPartitionOutput({}, parent).partition;

    const { logGroup, role, model } = createEndpointModel(
      name,
      { ...args, endpointName, imageUri, partition, batch, serverless },
      this,
    );
    this.role = role;
    this.model = model;

    const instanceType = args.instanceType ?? "ml.m5.large";
    if (args.alarms ?? true) {
      this.alarms = createEndpointAlarms(
        name,
        {
          endpointName,
          variantName: VARIANT_NAME,
          serverless,
          instanceType,
          modelLatencyThresholdMs: args.modelLatencyThresholdMs ?? 100,
        },
        { actions: args.alarmActions, tags: args.tags },
        parent,
      );
    }
    const rollbackAlarms = ROLLBACK_ALARMS.flatMap((kind) => this.alarms?.[kind].name ?? []);
    const most = serverless ? 1 : (capacity?.most ?? max);
    // registered before the configuration, which waits for it: a refused change stops here
    const guard = serverless
      ? undefined
      : new InstanceTypeGuard(`${name}-instance-type-guard`, { instanceType, autoscaling }, parent);

    this.endpointConfiguration = new aws.sagemaker.EndpointConfiguration(
      `${name}-config`,
      {
        // no name: auto-naming gives every replacement a new name, which is what makes the
        // endpoint update in place
        productionVariants: [
          serverless
            ? {
                variantName: VARIANT_NAME,
                modelName: this.model.name,
                serverlessConfig: {
                  memorySizeInMb: args.memorySizeInMb ?? 2048,
                  maxConcurrency: args.maxConcurrency ?? 5,
                },
              }
            : {
                variantName: VARIANT_NAME,
                modelName: this.model.name,
                instanceType,
                initialInstanceCount: args.initialInstanceCount ?? 1,
                initialVariantWeight: 1,
              },
        ],
        // serverless endpoints have no data capture: their container logs it instead
        dataCaptureConfig:
          args.capture && !serverless ? dataCaptureConfigFor(args.capture) : undefined,
        tags: args.tags,
      },
      { parent: this, dependsOn: guard ? [guard] : [] },
    );

    this.endpoint = new awsnative.sagemaker.Endpoint(
      `${name}-endpoint`,
      {
        endpointName,
        endpointConfigName: this.endpointConfiguration.name,
        // keep the instance count (and weight) the variant has when a rollout swaps the
        // configuration; serverless variants have no count to keep
        retainAllVariantProperties: !serverless,
        // changing it (the alarm list included) updates the endpoint in place; it applies to the
        // next UpdateEndpoint
        deploymentConfig: pulumi
          .all([most, ...rollbackAlarms])
          .apply(([count, ...alarms]) =>
            deploymentConfigFor(rollout, count as number, alarms as string[]),
          ),
        tags: pulumi
          .output(args.tags)
          .apply((tags) =>
            tags ? Object.entries(tags).map(([key, value]) => ({ key, value })) : undefined,
          ),
      },
      { parent: this, dependsOn: [logGroup] },
    );
    // the name callers invoke, resolved from the endpoint so that dependents wait for it
    this.endpointName = this.endpoint.endpointName.apply((n) => n as string);
    this.endpointArn = this.endpoint.endpointArn;
    this.metrics = endpointMetrics<pulumi.Input<string>>(this);

    this.versionMetricFilters = createVersionMetricFilters(
      name,
      logGroup.name,
      endpointName,
      parent,
    );

    if (args.capture && serverless)
      args.capture.subscribe(name, logGroup.name, "sagemaker-serverless", parent);

    this.rolloutCheck = new EndpointRolloutCheck(
      `${name}-rollout-check`,
      {
        region: aws.getRegionOutput({}, parent).region,
        endpointName: this.endpointName,
        endpointConfigName: this.endpointConfiguration.name,
        // SageMaker rolls back a deployment that outlasts its timeout; the margin covers that
        timeoutSeconds: pulumi
          .output(most)
          .apply((count) => rolloutTimeoutSeconds(rollout, count) + ROLLBACK_MARGIN_SECONDS),
        pollSeconds: 30,
      },
      { parent: this, dependsOn: [this.endpoint] },
    );

    if (autoscaling) {
      ({ target: this.scalingTarget, policy: this.scalingPolicy } = createVariantScaling(
        name,
        {
          endpointName: this.endpointName,
          variantName: VARIANT_NAME,
          minCapacity: min,
          maxCapacity: max,
          targetInvocationsPerInstance: args.targetInvocationsPerInstance ?? 100,
          scaleInCooldown: args.scaleInCooldown ?? 300,
          scaleOutCooldown: args.scaleOutCooldown ?? 60,
        },
        parent,
      ));
    }

    this.modelName = this.model.name;
    this.endpointConfigName = this.endpointConfiguration.name;
    this.roleArn = this.role.arn;

    this.registerOutputs({
      endpointName: this.endpointName,
      endpointArn: this.endpointArn,
      modelName: this.modelName,
      endpointConfigName: this.endpointConfigName,
    });
  }

  /**
   * Let `role` invoke the endpoint: an inline policy `<name>-invoke-<role's name>` allowing
   * `sagemaker:InvokeEndpoint` on exactly `endpointArn`. Roles of this account only (an endpoint
   * takes no resource policy). `name` overrides the role's Pulumi name in the policy's.
   */
  grantInvoke(role: aws.iam.Role, name?: string): aws.iam.RolePolicy {
    return grantInvokePolicy({
      owner: this.componentName,
      roleName: logicalNameOf("SageMakerEndpoint", role, name),
      role,
      sid: "InvokeEndpoint",
      action: "sagemaker:InvokeEndpoint",
      resources: this.endpointArn.apply((arn) => [arn]),
      parent: this,
    });
  }
}
