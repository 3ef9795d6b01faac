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
 */
import * as aws from "@pulumi/aws";
import * as awsnative from "@pulumi/aws-native";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmArgs, createAlarm, errorRateQueries } from "./alarms.js";
import { ENDPOINT_LOG_ACTIONS } from "./deploy-role-statements.js";
import { InstanceTypeGuard } from "./instance-type-guard.js";
import { modelReadStatements, registryObjectsArn } from "./model-registry.js";
import { type RoleArgs, serviceRole } from "./service-role.js";
import { ArgumentError, checkInteger, checkOneOf, LOG_RETENTION_DAYS } from "./validate.js";

/**
 * Alarms (`alarms`, default true): invocation 5xx and 4xx rates, p99 model latency; for
 * instances also CPU and memory.
 */
export interface SageMakerEndpointArgs extends AlarmArgs, RoleArgs {
  /** The serving image by digest, `<repository>@sha256:<64 hex>` (TrainingImage.imageUri). Required. */
  readonly imageUri: pulumi.Input<string>;
  /** ARN of the image's ECR repository (TrainingImage.repositoryArn): the role may pull from it only. Required. */
  readonly repositoryArn: pulumi.Input<string>;
  /** Bucket holding the model (ModelBucket.bucketName). Required. */
  readonly modelBucketName: pulumi.Input<string>;
  /** Key of the model.tar.gz, under `models/`: the role may read that prefix (ModelBucket.modelKey). Required. */
  readonly modelKey: pulumi.Input<string>;
  /**
   * sha256 (64 lower-case hex) of the model's manifest.json (ModelBucket.modelManifestSha256).
   * The container refuses the model SageMaker unpacks unless its manifest has it. Required.
   */
  readonly modelManifestSha256: pulumi.Input<string>;
  /** KMS key encrypting the model bucket, if any (ModelBucket.kmsKeyArn): adds kms:Decrypt on it. Default: none. */
  readonly modelKmsKeyArn?: pulumi.Input<string | undefined>;
  /**
   * Serverless inference (pay per request, scales to zero, cold starts) rather than instances.
   * Decides which resources exist, so it is a plain value, not an Input. Default true.
   */
  readonly serverless?: boolean;
  /** Serverless: memory in MB, 1024 to 6144 in steps of 1024. Default 2048. */
  readonly memorySizeInMb?: pulumi.Input<number>;
  /** Serverless: concurrent invocations, 1 to 200. Default 5. */
  readonly maxConcurrency?: pulumi.Input<number>;
  /** Instances: the instance type. Default "ml.m5.large". */
  readonly instanceType?: pulumi.Input<string>;
  /**
   * Instances: instances when the endpoint is first created. Later rollouts keep the count the
   * variant has (RetainAllVariantProperties). Default 1.
   */
  readonly initialInstanceCount?: pulumi.Input<number>;
  /**
   * Instances: register the variant with Application Auto Scaling (target tracking). Decides
   * which resources exist, so a plain value. Turn it off for one deployment before changing
   * `instanceType` (see InstanceTypeGuard). Default true.
   */
  readonly autoscaling?: boolean;
  /** Instances: fewest instances autoscaling keeps. Default 1. */
  readonly minInstanceCount?: pulumi.Input<number>;
  /** Instances: most instances autoscaling adds. Default 2. */
  readonly maxInstanceCount?: pulumi.Input<number>;
  /** Instances: invocations per instance per minute that target tracking holds. Default 100. */
  readonly targetInvocationsPerInstance?: pulumi.Input<number>;
  /** Instances: seconds after a scale-in before the next one. Default 300. */
  readonly scaleInCooldown?: pulumi.Input<number>;
  /** Instances: seconds after a scale-out before the next one. Default 60. */
  readonly scaleOutCooldown?: pulumi.Input<number>;
  /** The endpoint's name (stable: it is what callers invoke). Default `<project>-<stack>-<component name>`, cleaned, at most 63 characters. */
  readonly endpointName?: pulumi.Input<string>;
  /** Days the endpoint's CloudWatch logs are kept. Default 14. */
  readonly logRetentionInDays?: pulumi.Input<number>;
  /** p99 model latency (milliseconds, over 5 minutes, 2 of 3 periods) that fires the latency alarm. Default 100. */
  readonly modelLatencyThresholdMs?: pulumi.Input<number>;
  /** Tags for every taggable child. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The alarms a SageMakerEndpoint creates, by what they watch; cpu and memory for instances only. */
export interface SageMakerEndpointAlarms {
  readonly serverErrors: aws.cloudwatch.MetricAlarm;
  readonly clientErrors: aws.cloudwatch.MetricAlarm;
  readonly modelLatency: aws.cloudwatch.MetricAlarm;
  readonly cpu?: aws.cloudwatch.MetricAlarm;
  readonly memory?: aws.cloudwatch.MetricAlarm;
}

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

export const VARIANT_NAME = "AllTraffic";
const DIGEST_URI = /^[^@\s]+@sha256:[0-9a-f]{64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A SageMaker endpoint name from project, stack and component names. */
export function endpointNameFor(project: string, stack: string, name: string): string {
  return `${project}-${stack}-${name}`
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

function checkDigestUri(uri: string): string {
  if (!DIGEST_URI.test(uri)) {
    throw new ArgumentError(
      `SageMakerEndpoint: imageUri must reference the image by digest (<repository>@sha256:<64 hex>), got ${uri}`,
    );
  }
  return uri;
}

function checkManifestPin(pin: string): string {
  if (!SHA256_HEX.test(pin)) {
    throw new ArgumentError(
      `SageMakerEndpoint: modelManifestSha256 must be the sha256 of the model's manifest.json (64 lower-case hex, ModelBucket.modelManifestSha256), got ${JSON.stringify(pin)}`,
    );
  }
  return pin;
}

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

  constructor(name: string, args: SageMakerEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:SageMakerEndpoint", name, args, opts);
    const c = "SageMakerEndpoint";
    if (typeof args.imageUri === "string") checkDigestUri(args.imageUri);
    if (typeof args.modelManifestSha256 === "string") checkManifestPin(args.modelManifestSha256);
    checkOneOf(c, "memorySizeInMb", args.memorySizeInMb, [1024, 2048, 3072, 4096, 5120, 6144]);
    checkInteger(c, "maxConcurrency", args.maxConcurrency, 1, 200);
    checkInteger(c, "initialInstanceCount", args.initialInstanceCount, 1, 100);
    checkInteger(c, "minInstanceCount", args.minInstanceCount, 1, 100);
    checkInteger(c, "maxInstanceCount", args.maxInstanceCount, 1, 100);
    checkOneOf(c, "logRetentionInDays", args.logRetentionInDays, LOG_RETENTION_DAYS);
    const min = args.minInstanceCount ?? 1;
    const max = args.maxInstanceCount ?? 2;
    if (typeof min === "number" && typeof max === "number" && min > max) {
      throw new ArgumentError(
        `${c}: minInstanceCount (${min}) must not exceed maxInstanceCount (${max})`,
      );
    }
    const serverless = args.serverless ?? true;
    const autoscaling = !serverless && (args.autoscaling ?? true);
    const parent = { parent: this };

    const endpointName = pulumi.output(
      args.endpointName ?? endpointNameFor(pulumi.getProject(), pulumi.getStack(), name),
    );
    const imageUri = pulumi.output(args.imageUri).apply(checkDigestUri);
    const partition = aws.getPartitionOutput({}, parent).partition;
    const modelsArn = registryObjectsArn(partition, args.modelBucketName, args.modelKey);

    // SageMaker writes to /aws/sagemaker/Endpoints/<endpoint name>: created here to set retention
    // and to scope the role's log permissions to exactly this group
    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-logs`,
      {
        name: pulumi.interpolate`/aws/sagemaker/Endpoints/${endpointName}`,
        retentionInDays: args.logRetentionInDays ?? 14,
        tags: args.tags,
      },
      parent,
    );

    const { role, policy } = serviceRole(
      name,
      {
        service: "sagemaker.amazonaws.com",
        statements: pulumi
          .all([
            modelReadStatements(modelsArn, args.modelKmsKeyArn),
            args.repositoryArn,
            logGroup.arn,
          ])
          .apply(([read, repositoryArn, logArn]) => [
            ...read,
            {
              Sid: "PullImage",
              Effect: "Allow",
              Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
              Resource: repositoryArn,
            },
            {
              // GetAuthorizationToken has no resource to scope to
              Sid: "RegistryToken",
              Effect: "Allow",
              Action: "ecr:GetAuthorizationToken",
              Resource: "*",
            },
            {
              Sid: "WriteEndpointLogs",
              Effect: "Allow",
              Action: ENDPOINT_LOG_ACTIONS,
              Resource: [logArn, `${logArn}:*`],
            },
            {
              Sid: "PutEndpointMetrics",
              Effect: "Allow",
              Action: "cloudwatch:PutMetricData",
              Resource: "*",
              Condition: {
                StringEquals: { "cloudwatch:namespace": "/aws/sagemaker/Endpoints" },
              },
            },
          ]),
        permissionsBoundary: args.permissionsBoundary,
        tags: args.tags,
      },
      parent,
    );
    this.role = role;

    this.model = new aws.sagemaker.Model(
      `${name}-model`,
      {
        executionRoleArn: this.role.arn,
        primaryContainer: {
          image: imageUri,
          modelDataUrl: pulumi.interpolate`s3://${args.modelBucketName}/${args.modelKey}`,
          mode: "SingleModel",
          // what SageMaker unpacks came from S3: the container loads it only with this pin
          environment: {
            MODEL_MANIFEST_SHA256: pulumi.output(args.modelManifestSha256).apply(checkManifestPin),
          },
        },
        tags: args.tags,
      },
      // CreateModel checks that the role can reach the image and the model
      { parent: this, dependsOn: [policy] },
    );

    const instanceType = args.instanceType ?? "ml.m5.large";
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

    if (autoscaling) {
      this.scalingTarget = new aws.appautoscaling.Target(
        `${name}-scaling-target`,
        {
          serviceNamespace: "sagemaker",
          resourceId: pulumi.interpolate`endpoint/${this.endpointName}/variant/${VARIANT_NAME}`,
          scalableDimension: "sagemaker:variant:DesiredInstanceCount",
          minCapacity: min,
          maxCapacity: max,
        },
        parent,
      );
      this.scalingPolicy = new aws.appautoscaling.Policy(
        `${name}-scaling-policy`,
        {
          policyType: "TargetTrackingScaling",
          serviceNamespace: this.scalingTarget.serviceNamespace,
          resourceId: this.scalingTarget.resourceId,
          scalableDimension: this.scalingTarget.scalableDimension,
          targetTrackingScalingPolicyConfiguration: {
            predefinedMetricSpecification: {
              predefinedMetricType: "SageMakerVariantInvocationsPerInstance",
            },
            targetValue: args.targetInvocationsPerInstance ?? 100,
            scaleInCooldown: args.scaleInCooldown ?? 300,
            scaleOutCooldown: args.scaleOutCooldown ?? 60,
          },
        },
        parent,
      );
    }

    this.modelName = this.model.name;
    this.endpointConfigName = this.endpointConfiguration.name;
    this.roleArn = this.role.arn;

    if (args.alarms ?? true) {
      this.alarms = this.createAlarms(name, args, serverless);
    }

    this.registerOutputs({
      endpointName: this.endpointName,
      endpointArn: this.endpointArn,
      modelName: this.modelName,
      endpointConfigName: this.endpointConfigName,
    });
  }

  private createAlarms(
    name: string,
    args: SageMakerEndpointArgs,
    serverless: boolean,
  ): SageMakerEndpointAlarms {
    const targets = { actions: args.alarmActions, tags: args.tags };
    const opts = { parent: this };
    const variant = { EndpointName: this.endpointName, VariantName: VARIANT_NAME };
    const invocationMetric = (id: string, metricName: string) => ({
      id,
      metric: {
        namespace: "AWS/SageMaker",
        metricName,
        dimensions: variant,
        period: 300,
        stat: "Sum",
      },
    });
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
          metric: {
            namespace: "/aws/sagemaker/Endpoints",
            metricName: kind === "cpu" ? "CPUUtilization" : "MemoryUtilization",
            dimensions: variant,
            statistic: "Average",
          },
        },
        targets,
        opts,
      );
    return {
      serverErrors: createAlarm(
        `${name}-5xx-alarm`,
        {
          description:
            "The model container answered 5xx: it failed to load the model or crashed. Check the endpoint's logs (/aws/sagemaker/Endpoints/<endpoint>).",
          threshold: 1,
          metric: {
            namespace: "AWS/SageMaker",
            metricName: "Invocation5XXErrors",
            dimensions: variant,
          },
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
            invocationMetric,
            "Invocations",
            "Invocation4XXErrors",
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
            "The p99 time the container takes to answer is above the threshold for 10 of 15 minutes.",
          // ModelLatency is in microseconds
          threshold: pulumi.output(args.modelLatencyThresholdMs ?? 100).apply((ms) => ms * 1000),
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          metric: {
            namespace: "AWS/SageMaker",
            metricName: "ModelLatency",
            dimensions: variant,
            extendedStatistic: "p99",
          },
        },
        targets,
        opts,
      ),
      ...(serverless
        ? {}
        : {
            cpu: instanceAlarm(
              "cpu",
              pulumi.output(args.instanceType ?? "ml.m5.large").apply((t) => 80 * vcpusOf(t)),
            ),
            memory: instanceAlarm("memory", 80),
          }),
    };
  }
}
