/**
 * SageMakerEndpoint's arguments, and the checks of those that fail a deployment late when wrong.
 */
import type * as pulumi from "@pulumi/pulumi";
import { splitS3Uri } from "../core/s3-uri.js";
import type { AlarmArgs } from "./alarms.js";
import type { SageMakerRollout } from "./sagemaker-rollout.js";
import type { RoleArgs } from "./service-role.js";
import type { TrafficCapture } from "./traffic-capture.js";
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
  /**
   * How updates reach traffic: SageMaker's blue/green deployment in ALL_AT_ONCE, CANARY or LINEAR
   * mode, with a bake under the 5xx and latency alarms and rollback when one fires. Canary and
   * linear need instances (at least twice the canary or step). Decides what is validated, so a
   * plain value. Default all-at-once with a 10-minute bake.
   */
  readonly rollout?: SageMakerRollout;
  /** p99 model latency (milliseconds, in 2 of 3 one-minute periods) that fires the latency alarm. Default 100. */
  readonly modelLatencyThresholdMs?: pulumi.Input<number>;
  /**
   * Batch Transform (`iris-mlops transform`): the `s3://bucket/prefix` its jobs read. The model's
   * role may list and read that prefix only. A plain value; with `batchOutput`, or neither.
   * Default: none (no batch permissions).
   */
  readonly batchInput?: string;
  /** Batch Transform: the `s3://bucket/prefix` its jobs write; the role may write there only. Default: none. */
  readonly batchOutput?: string;
  /** Batch Transform: a KMS key encrypting the input or output bucket (kms:Decrypt, kms:GenerateDataKey on it). Default: none. */
  readonly batchKmsKeyArn?: string;
  /**
   * Capture a sample of the traffic (components/sagemaker-capture.ts): instances through the
   * configuration's DataCaptureConfig, serverless through the container's log lines. Default:
   * none.
   */
  readonly capture?: TrafficCapture;
  /** Tags for every taggable child. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export const VARIANT_NAME = "AllTraffic";

/** The batch prefixes the args declare, checked; undefined when they declare none. */
export function batchPrefixesOf(args: SageMakerEndpointArgs) {
  const { batchInput, batchOutput, batchKmsKeyArn } = args;
  if (batchInput === undefined && batchOutput === undefined) return undefined;
  if (batchInput === undefined || batchOutput === undefined) {
    throw new ArgumentError(
      "SageMakerEndpoint: batchInput and batchOutput go together: Batch Transform reads one and writes the other",
    );
  }
  const location = (name: string, uri: string) => {
    const split = splitS3Uri(uri);
    if (!split || /[*?]/.test(split.path)) {
      throw new ArgumentError(
        `SageMakerEndpoint: ${name} must be s3://bucket/prefix (no wildcards), got ${JSON.stringify(uri)}`,
      );
    }
    return { bucket: split.bucket, prefix: split.path };
  };
  const input = location("batchInput", batchInput);
  const output = location("batchOutput", batchOutput);
  if (
    input.bucket === output.bucket &&
    (output.prefix.startsWith(input.prefix) || input.prefix.startsWith(output.prefix))
  ) {
    throw new ArgumentError(
      `SageMakerEndpoint: batchInput (${batchInput}) and batchOutput (${batchOutput}) overlap: a job would read what it writes, and the role could write its input`,
    );
  }
  return { input, output, ...(batchKmsKeyArn ? { kmsKeyArn: batchKmsKeyArn } : {}) };
}
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

export function checkDigestUri(uri: string): string {
  if (!DIGEST_URI.test(uri)) {
    throw new ArgumentError(
      `SageMakerEndpoint: imageUri must reference the image by digest (<repository>@sha256:<64 hex>), got ${uri}`,
    );
  }
  return uri;
}

export function checkManifestPin(pin: string): string {
  if (!SHA256_HEX.test(pin)) {
    throw new ArgumentError(
      `SageMakerEndpoint: modelManifestSha256 must be the sha256 of the model's manifest.json (64 lower-case hex, ModelBucket.modelManifestSha256), got ${JSON.stringify(pin)}`,
    );
  }
  return pin;
}

/**
 * The plain-valued arguments checked before anything is registered; the instance counts, with
 * their defaults, once known to be in order.
 */
export function checkEndpointArgs(c: string, args: SageMakerEndpointArgs) {
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
  return { min, max };
}
