/**
 * The iris-mlops stack: train the model (deterministic, so the same configuration always gives
 * the same bytes and the same S3 key), upload it, serve it from Lambda behind an HTTP API and,
 * when enabled, from a SageMaker endpoint running the repository's image.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DriftMonitor } from "../components/drift-monitor.js";
import { InferenceDashboard } from "../components/inference-dashboard.js";
import { LambdaInferenceApi } from "../components/lambda-inference-api.js";
import { ModelBucket } from "../components/model-bucket.js";
import { packageRoot } from "../components/paths.js";
import { SageMakerEndpoint } from "../components/sagemaker-endpoint.js";
import { TrafficCapture } from "../components/traffic-capture.js";
import { TrainingImage } from "../components/training-image.js";
import { packTarGz } from "../core/archive.js";
import { TARBALL } from "../core/artifact.js";
import { loadIris } from "../training/data.js";
import type { TrainOptions } from "../training/options.js";
import { train } from "../training/train.js";
import { writeArtifact } from "../training/write.js";
import { loadStackConfig, type StackConfig } from "./config.js";

export interface StackOutputs {
  readonly apiUrl: pulumi.Output<string>;
  readonly modelS3Uri: pulumi.Output<string>;
  readonly modelVersion: pulumi.Output<string>;
  /** The Lambda version this update rolled the `live` alias out to. */
  readonly functionVersion: pulumi.Output<string>;
  /** Where that rollout ended: "Succeeded", or "Unchanged" when the alias already served it. */
  readonly rolloutStatus: pulumi.Output<string>;
  /** Who may call POST /predict and GET /health: none, iam (SigV4) or jwt (bearer token). */
  readonly apiAuth: string;
  /** The execute-api:Invoke ARNs a caller's role needs under iam (LambdaInferenceApi.grantInvoke). */
  readonly apiInvokeArns: pulumi.Output<string[]>;
  /** The SageMaker image by digest; undefined when SageMaker is off. */
  readonly imageUri: pulumi.Output<string> | undefined;
  /** The SageMaker endpoint to invoke; undefined when SageMaker is off. */
  readonly endpointName: pulumi.Output<string> | undefined;
  /** The SageMaker model, for `iris-mlops transform --model`; undefined when SageMaker is off. */
  readonly sageMakerModelName: pulumi.Output<string> | undefined;
  /** The CloudWatch dashboard of the stack. */
  readonly dashboardName: pulumi.Output<string>;
  /** `s3://<bucket>/<prefix>` of the captured traffic; undefined when `capture.sample` is 0. */
  readonly captureS3Uri: pulumi.Output<string> | undefined;
  /** The SNS topic the alarms notify; undefined without `alerts.email`. */
  readonly alertTopicArn: pulumi.Output<string> | undefined;
  /** The DriftMonitor's newest report (s3://…/latest.html); undefined when it or capture is off. */
  readonly driftReportUrl: pulumi.Output<string> | undefined;
}

/** Where a stack's trained model lands: `.pulumi-build/<stack>/model/` in the package root. */
export const modelDirFor = (root: string, stack: string) =>
  join(root, ".pulumi-build", stack.replace(/[^A-Za-z0-9_.-]+/g, "_"), "model");

/**
 * Train with the stack's hyper-parameters and write the artifact to the stack's folder, leaving an
 * identical model.tar.gz already there untouched. Returns the tarball's path.
 */
export async function trainModel(dir: string, options: TrainOptions): Promise<string> {
  const { files } = train(loadIris(), options);
  const tarball = join(dir, TARBALL);
  const bytes = await packTarGz(files);
  const existing = await readFile(tarball).catch(() => undefined);
  if (existing?.equals(bytes)) return tarball;
  return (await writeArtifact(dir, files)).tarball;
}

const fromRoot = (root: string, path: string | undefined) =>
  path === undefined ? undefined : isAbsolute(path) ? path : resolve(root, path);

export interface StackOptions {
  /** Where `.pulumi-build/<stack>/model/` goes. Default: the package root. */
  readonly buildRoot?: string;
}

export async function irisStack(
  config: StackConfig = loadStackConfig(),
  options: StackOptions = {},
): Promise<StackOutputs> {
  const root = packageRoot();
  // a version from the registry or a local model (rollbacks) is served as it is; otherwise
  // train, reusing an identical artifact
  const pinned = config.modelVersion;
  const modelPath =
    pinned === undefined
      ? (fromRoot(root, config.modelPath) ??
        (await trainModel(modelDirFor(options.buildRoot ?? root, pulumi.getStack()), config.model)))
      : undefined;

  // alarms notify an SNS topic when there is someone to tell; otherwise they show in the console
  let alertTopic: aws.sns.Topic | undefined;
  if (config.alerts.enabled && config.alerts.email) {
    alertTopic = new aws.sns.Topic("alerts", {});
    new aws.sns.TopicSubscription("alerts-email", {
      topic: alertTopic.arn,
      protocol: "email",
      endpoint: config.alerts.email,
    });
  }
  // what every role-owning component shares: alarms and the deploy role's permissions boundary
  const shared = {
    alarms: config.alerts.enabled,
    alarmActions: alertTopic ? [alertTopic.arn] : [],
    permissionsBoundary: config.permissionsBoundaryArn,
  };

  const models = new ModelBucket("models", {
    modelPath,
    modelVersion: pinned,
    forceDestroy: config.bucket.forceDestroy,
    kmsKeyArn: config.bucket.kmsKeyArn,
    noncurrentVersionExpirationDays: config.bucket.noncurrentVersionDays,
  });

  // sample 0: no capture bucket, no streams, and the doors log no capture lines
  const capture =
    config.capture.sample > 0
      ? new TrafficCapture("capture", {
          sample: config.capture.sample,
          expirationDays: config.capture.expirationDays,
          kmsKeyArn: config.bucket.kmsKeyArn,
          forceDestroy: config.bucket.forceDestroy,
          permissionsBoundary: config.permissionsBoundaryArn,
        })
      : undefined;

  const api = new LambdaInferenceApi("api", {
    capture,
    modelBucketName: models.bucketName,
    modelKey: models.modelKey,
    modelSha256: models.modelSha256,
    modelKmsKeyArn: models.kmsKeyArn,
    handlerEntry: fromRoot(root, config.api.handlerEntry),
    memorySize: config.api.memoryMb,
    timeout: config.api.timeoutSeconds,
    architecture: config.api.architecture,
    reservedConcurrentExecutions: config.api.reservedConcurrency,
    throttlingBurstLimit: config.api.throttleBurst,
    throttlingRateLimit: config.api.throttleRate,
    corsAllowOrigins: config.api.corsOrigins,
    auth: config.api.auth,
    rolloutType: config.api.rollout.type,
    rolloutPercentage: config.api.rollout.percentage,
    rolloutIntervalMinutes: config.api.rollout.intervalMinutes,
    logRetentionInDays: config.logRetentionDays,
    ...shared,
  });
  const alarmArns = Object.values(api.alarms ?? {}).map((alarm) => alarm.arn);

  let imageUri: pulumi.Output<string> | undefined;
  let endpointName: pulumi.Output<string> | undefined;
  let sageMakerModelName: pulumi.Output<string> | undefined;
  if (config.sagemaker.enabled) {
    // the image only serves SageMaker: no SageMaker, no build and no repository
    const image = new TrainingImage("image", {
      context: fromRoot(root, config.image.context),
      dockerfile: fromRoot(root, config.image.dockerfile),
      baseImage: config.image.baseImage,
      tag: config.image.tag,
      keepImages: config.image.keepImages,
      forceDelete: config.image.forceDelete,
    });
    const sm = config.sagemaker;
    const endpoint = new SageMakerEndpoint("sagemaker", {
      imageUri: image.imageUri,
      repositoryArn: image.repositoryArn,
      modelBucketName: models.bucketName,
      modelKey: models.modelKey,
      modelManifestSha256: models.modelManifestSha256,
      modelKmsKeyArn: models.kmsKeyArn,
      serverless: sm.mode === "serverless",
      memorySizeInMb: sm.memoryMb,
      maxConcurrency: sm.maxConcurrency,
      instanceType: sm.instanceType,
      initialInstanceCount: sm.instanceCount,
      minInstanceCount: sm.minInstances,
      maxInstanceCount: sm.maxInstances,
      targetInvocationsPerInstance: sm.targetInvocations,
      autoscaling: sm.autoscaling,
      rollout: sm.rollout,
      batchInput: sm.batch?.input,
      batchOutput: sm.batch?.output,
      batchKmsKeyArn: sm.batch?.kmsKeyArn,
      logRetentionInDays: config.logRetentionDays,
      capture,
      ...shared,
    });
    alarmArns.push(...Object.values(endpoint.alarms ?? {}).map((alarm) => alarm.arn));
    imageUri = image.imageUri;
    endpointName = endpoint.endpointName;
    sageMakerModelName = endpoint.modelName;
  }

  // the monitor watches the stack's own capture: no capture, nothing to watch. Its reports go
  // to the capture bucket (outside the capture prefix), under the same KMS key
  let monitor: DriftMonitor | undefined;
  const watch = config.monitor;
  if (capture && watch.enabled) {
    monitor = new DriftMonitor("monitor", {
      captureBucketName: capture.bucketName,
      capturePrefix: `${capture.prefix}/`,
      captureKmsKeyArn: capture.kmsKeyArn,
      reportsKmsKeyArn: capture.kmsKeyArn,
      modelBucketName: models.bucketName,
      modelKey: models.modelKey,
      modelSha256: models.modelSha256,
      modelKmsKeyArn: models.kmsKeyArn,
      reportsPrefix: watch.reportsPrefix,
      handlerEntry: fromRoot(root, watch.handlerEntry),
      scheduleExpression: watch.schedule,
      windowHours: watch.windowHours,
      logRetentionInDays: config.logRetentionDays,
      ...shared,
    });
    alarmArns.push(...Object.values(monitor.alarms ?? {}).map((alarm) => alarm.arn));
  }

  const dashboard = new InferenceDashboard("dashboard", {
    functionName: api.functionName,
    aliasName: api.aliasName,
    apiId: api.apiId,
    endpointName,
    alarmArns,
    extraWidgets: monitor?.dashboardWidgets,
  });

  return {
    apiUrl: api.apiUrl,
    apiAuth: api.authMode,
    apiInvokeArns: api.invokeArns,
    modelS3Uri: models.modelS3Uri,
    modelVersion: models.modelVersion,
    functionVersion: api.functionVersion,
    rolloutStatus: api.rolloutStatus,
    imageUri,
    endpointName,
    sageMakerModelName,
    dashboardName: dashboard.dashboardName,
    captureS3Uri: capture?.captureS3Uri,
    alertTopicArn: alertTopic?.arn,
    driftReportUrl: monitor?.latestReportUrl,
  };
}
