/**
 * TrafficCapture: where a sample of the requests and answers of both doors lands (issue #11). A
 * private, encrypted, lifecycle-expired bucket (components/private-bucket.ts, like ModelBucket)
 * and, under its `<prefix>/`:
 * - `lambda/yyyy/MM/dd/HH/`: the Lambda's capture log lines (`message` "capture"), which a
 *   CloudWatch Logs subscription sends to a Firehose stream; Firehose unzips CloudWatch's gzip
 *   (Decompression), unwraps its `{messageType, logEvents}` envelope to the bare messages
 *   (CloudWatchLogProcessing with DataMessageExtraction) and ends each with a newline
 *   (AppendDelimiterToRecord), so the objects are JSON lines. Nothing is lost when a function is
 *   frozen or recycled: the line is written before the response, and Logs delivers it.
 * - `sagemaker-serverless/yyyy/MM/dd/HH/`: the same from a serverless endpoint's container log.
 *   A stream has one prefix (dynamic partitioning could split one stream, at the price of a JQ
 *   query, a 64 MB minimum buffer and a per-GB charge): a second stream is simpler, and an idle
 *   stream costs nothing.
 * - `sagemaker/<endpoint>/<variant>/yyyy/mm/dd/hh/`: SageMaker's own DataCaptureConfig files of an
 *   instance endpoint (components/sagemaker-capture.ts); serverless endpoints have none.
 * Firehose's role may put objects under `<prefix>/` only; the Logs role may put records into these
 * streams only, and only Logs of this account and region may assume it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { bucketPrefixFor } from "./model-bucket.js";
import { privateBucket } from "./private-bucket.js";
import { type RoleArgs, serviceRole } from "./service-role.js";
import { ArgumentError, checkInteger } from "./validate.js";

/** The log line a capture subscription passes on (monitoring/capture-line.ts CAPTURE_MESSAGE). */
export const CAPTURE_FILTER_PATTERN = '{ $.message = "capture" }';
/** Where each log source lands under the prefix. */
export const LOG_SOURCES = ["lambda", "sagemaker-serverless"] as const;
export type LogSource = (typeof LOG_SOURCES)[number];
const PREFIX = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;

export interface TrafficCaptureArgs extends RoleArgs {
  /** Share of requests captured, above 0 and at most 1 (0 is no TrafficCapture at all). Default 0.1. */
  readonly sample?: number;
  /** Key prefix of everything captured, without slashes at either end. Default "capture". */
  readonly prefix?: string;
  /** KMS key ARN encrypting the bucket and what Firehose and SageMaker write. Default: none, SSE-S3. */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Days a captured object is kept. Default 30. */
  readonly expirationDays?: number;
  /** Seconds Firehose buffers before writing an object, 0 to 900. Default 300. */
  readonly bufferingIntervalSeconds?: number;
  /** MB Firehose buffers before writing an object, 1 to 128. Default 5. */
  readonly bufferingSizeMb?: number;
  /** Delete the bucket with its objects on `pulumi destroy`. Default false. */
  readonly forceDestroy?: pulumi.Input<boolean>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** SageMaker's CAPTURE_SAMPLE as InitialSamplingPercentage: rounded, and never 0 when on. */
export const samplingPercentage = (sample: number) =>
  Math.min(100, Math.max(1, Math.round(sample * 100)));

export class TrafficCapture extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly streams: Record<LogSource, aws.kinesis.FirehoseDeliveryStream>;
  readonly firehoseRole: aws.iam.Role;
  /** The role CloudWatch Logs assumes to put subscribed lines into the streams. */
  readonly logsRole: aws.iam.Role;
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** `s3://<bucket>/<prefix>`: what `iris-mlops drift --capture` reads. */
  readonly captureS3Uri: pulumi.Output<string>;
  /** The Lambda stream's ARN. */
  readonly streamArn: pulumi.Output<string>;
  readonly sample: number;
  readonly prefix: string;
  readonly kmsKeyArn: pulumi.Output<string | undefined>;
  private readonly baseName: string;

  constructor(name: string, args: TrafficCaptureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:TrafficCapture", name, args, opts);
    const c = "TrafficCapture";
    const sample = args.sample ?? 0.1;
    if (!(Number.isFinite(sample) && sample > 0 && sample <= 1)) {
      throw new ArgumentError(
        `${c}: sample must be above 0 and at most 1 (the share of requests captured; to capture nothing, create no TrafficCapture), got ${sample}`,
      );
    }
    const prefix = args.prefix ?? "capture";
    if (!PREFIX.test(prefix)) {
      throw new ArgumentError(
        `${c}: prefix must be lower-case words joined by / (no / at either end), got ${JSON.stringify(prefix)}`,
      );
    }
    checkInteger(c, "expirationDays", args.expirationDays, 1, 3650);
    checkInteger(c, "bufferingIntervalSeconds", args.bufferingIntervalSeconds, 0, 900);
    checkInteger(c, "bufferingSizeMb", args.bufferingSizeMb, 1, 128);
    this.baseName = name;
    this.sample = sample;
    this.prefix = prefix;
    const parent = { parent: this };
    const kmsKeyArn = pulumi.output(args.kmsKeyArn);
    this.kmsKeyArn = kmsKeyArn;

    ({ bucket: this.bucket } = privateBucket(
      name,
      {
        bucketPrefix: bucketPrefixFor(pulumi.getProject(), pulumi.getStack(), name),
        forceDestroy: args.forceDestroy,
        kmsKeyArn,
        // every object Firehose and SageMaker write has a key of its own: nothing to version
        versioned: false,
        lifecycleRules: [
          {
            id: "expire-capture",
            status: "Enabled",
            filter: { prefix: `${prefix}/` },
            expiration: { days: args.expirationDays ?? 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
        tags: args.tags,
      },
      this,
    ));
    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.captureS3Uri = pulumi.interpolate`s3://${this.bucket.bucket}/${prefix}`;

    const { role: firehoseRole, policy: firehosePolicy } = serviceRole(
      `${name}-firehose`,
      {
        service: "firehose.amazonaws.com",
        statements: pulumi
          .all([this.bucket.arn, kmsKeyArn])
          .apply(([arn, key]) => firehoseStatements(arn, prefix, key)),
        permissionsBoundary: args.permissionsBoundary,
        tags: args.tags,
      },
      parent,
    );
    this.firehoseRole = firehoseRole;

    const stream = (source: LogSource) =>
      new aws.kinesis.FirehoseDeliveryStream(
        // short: the stream's auto-name must fit Firehose's 64 characters with the stack's name
        `${name}-${source === "lambda" ? "lambda" : "serverless"}`,
        {
          destination: "extended_s3",
          // records at rest in the stream, with a key AWS owns
          serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
          extendedS3Configuration: {
            bucketArn: this.bucket.arn,
            roleArn: firehoseRole.arn,
            prefix: `${prefix}/${source}/!{timestamp:yyyy/MM/dd/HH}/`,
            errorOutputPrefix: `${prefix}/errors/${source}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
            bufferingInterval: args.bufferingIntervalSeconds ?? 300,
            bufferingSize: args.bufferingSizeMb ?? 5,
            compressionFormat: "GZIP",
            kmsKeyArn,
            processingConfiguration: { enabled: true, processors: CAPTURE_PROCESSORS },
          },
          tags: args.tags,
        },
        // Firehose checks at creation that its role can write the bucket
        { parent: this, dependsOn: [firehosePolicy] },
      );
    this.streams = {
      lambda: stream("lambda"),
      "sagemaker-serverless": stream("sagemaker-serverless"),
    };
    this.streamArn = this.streams.lambda.arn;

    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const partition = aws.getPartitionOutput({}, parent).partition;
    const { role: logsRole } = serviceRole(
      `${name}-logs`,
      {
        service: pulumi.interpolate`logs.${region}.amazonaws.com`,
        // only this account's log groups in this region: no confused deputy
        trustCondition: {
          StringLike: {
            "aws:SourceArn": pulumi.interpolate`arn:${partition}:logs:${region}:${account}:*`,
          },
        },
        statements: pulumi.all(LOG_SOURCES.map((s) => this.streams[s].arn)).apply((arns) => [
          {
            Sid: "PutCaptureRecords",
            Effect: "Allow",
            Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
            Resource: arns,
          },
        ]),
        permissionsBoundary: args.permissionsBoundary,
        tags: args.tags,
      },
      parent,
    );
    this.logsRole = logsRole;

    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      captureS3Uri: this.captureS3Uri,
      streamArn: this.streamArn,
    });
  }

  /** `s3://<bucket>/<prefix>/sagemaker`: an instance endpoint's DestinationS3Uri. */
  get sagemakerS3Uri(): pulumi.Output<string> {
    return pulumi.interpolate`${this.captureS3Uri}/sagemaker`;
  }

  /** ARN of the objects under `<prefix>/sagemaker/`: what an endpoint's role may put. */
  get sagemakerObjectsArn(): pulumi.Output<string> {
    return pulumi.interpolate`${this.bucket.arn}/${this.prefix}/sagemaker/*`;
  }

  /**
   * Send a log group's capture lines (filter CAPTURE_FILTER_PATTERN) to `source`'s stream: a
   * subscription filter `<name>-capture`, a child of `opts.parent` (the component owning the
   * group). Logs puts the records with this component's logs role.
   */
  subscribe(
    name: string,
    logGroupName: pulumi.Input<string>,
    source: LogSource,
    opts: pulumi.CustomResourceOptions,
  ): aws.cloudwatch.LogSubscriptionFilter {
    return new aws.cloudwatch.LogSubscriptionFilter(
      `${name}-capture`,
      {
        name: `${this.baseName}-${source}`,
        logGroup: logGroupName,
        filterPattern: CAPTURE_FILTER_PATTERN,
        destinationArn: this.streams[source].arn,
        roleArn: this.logsRole.arn,
      },
      opts,
    );
  }
}

/** Decompress CloudWatch's gzip, keep only the log messages, one per line. */
export const CAPTURE_PROCESSORS = [
  {
    type: "Decompression",
    parameters: [{ parameterName: "CompressionFormat", parameterValue: "GZIP" }],
  },
  {
    type: "CloudWatchLogProcessing",
    parameters: [{ parameterName: "DataMessageExtraction", parameterValue: "true" }],
  },
  { type: "AppendDelimiterToRecord" },
];

/**
 * What Firehose needs to deliver to S3 under the prefix (AWS's documented set, narrowed to it):
 * write and abort multipart uploads of objects there, find the bucket's region; with a key, make
 * data keys of it for S3 only.
 */
export function firehoseStatements(
  bucketArn: string,
  prefix: string,
  kmsKeyArn?: string,
): object[] {
  return [
    {
      Sid: "WriteCapture",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: `${bucketArn}/${prefix}/*`,
    },
    { Sid: "LocateBucket", Effect: "Allow", Action: "s3:GetBucketLocation", Resource: bucketArn },
    ...(kmsKeyArn ? [captureKeyStatement(kmsKeyArn)] : []),
  ];
}

/** Encrypt what one writes with the capture key (S3 asks for a data key, and decrypts it for multipart uploads). */
export const captureKeyStatement = (kmsKeyArn: string) => ({
  Sid: "EncryptCapture",
  Effect: "Allow",
  Action: ["kms:GenerateDataKey", "kms:Decrypt"],
  Resource: kmsKeyArn,
});
