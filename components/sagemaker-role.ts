/**
 * What a SageMakerEndpoint's execution role may do: read the model under the registry's prefix,
 * pull the image from its repository, write the endpoint's logs and metrics; and, when the stack
 * declares prefixes for Batch Transform, which reads and writes S3 with the model's role
 * (`iris-mlops transform`, docs/batch.md), list and read exactly the input prefix and write
 * exactly the output prefix.
 */
import * as pulumi from "@pulumi/pulumi";
import { ENDPOINT_LOG_ACTIONS } from "./deploy-role-statements.js";
import { modelReadStatements } from "./model-registry.js";

/** An `s3://bucket/prefix` location. */
export interface BatchLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** Where Batch Transform jobs on the model read and write, and the key encrypting them. */
export interface BatchPrefixes {
  readonly input: BatchLocation;
  readonly output: BatchLocation;
  /** A KMS key encrypting the input or output bucket: decrypt to read, make data keys to write. */
  readonly kmsKeyArn?: string;
}

/** The statements Batch Transform needs on `batch`'s prefixes, and nothing else of the buckets. */
export function batchStatements(partition: string, batch: BatchPrefixes): object[] {
  const bucketArn = (l: BatchLocation) => `arn:${partition}:s3:::${l.bucket}`;
  return [
    {
      Sid: "ListBatchInput",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: bucketArn(batch.input),
      Condition: { StringLike: { "s3:prefix": [`${batch.input.prefix}*`] } },
    },
    {
      Sid: "ReadBatchInput",
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `${bucketArn(batch.input)}/${batch.input.prefix}*`,
    },
    {
      Sid: "WriteBatchOutput",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `${bucketArn(batch.output)}/${batch.output.prefix}*`,
    },
    ...(batch.kmsKeyArn
      ? [
          {
            Sid: "BatchDataKey",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Resource: batch.kmsKeyArn,
          },
        ]
      : []),
  ];
}

export function endpointRoleStatements(
  modelsArn: pulumi.Input<string>,
  modelKmsKeyArn: pulumi.Input<string | undefined> | undefined,
  repositoryArn: pulumi.Input<string>,
  logGroupArn: pulumi.Input<string>,
  batch?: { partition: pulumi.Input<string>; prefixes: BatchPrefixes },
  /** More statements (DataCapture's, components/sagemaker-capture.ts). */
  extra: pulumi.Input<object[]> = [],
) {
  return pulumi
    .all([
      modelReadStatements(modelsArn, modelKmsKeyArn),
      repositoryArn,
      logGroupArn,
      batch?.partition ?? "aws",
      extra,
    ])
    .apply(([read, repositoryArn, logArn, partition, more]) => [
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
      ...(batch ? batchStatements(partition, batch.prefixes) : []),
      ...more,
    ]);
}
