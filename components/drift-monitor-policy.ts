/**
 * The DriftMonitor's IAM, as plain data: what its function may do (list and read the capture
 * prefix, read the one model object, write the reports prefix, decrypt or encrypt with the
 * buckets' keys when they have them, log to its own group) and who may assume the scheduler's
 * role (EventBridge Scheduler, for this account's schedules only: the confused-deputy guard).
 */
import * as pulumi from "@pulumi/pulumi";

export interface MonitorAccess {
  readonly partition: pulumi.Input<string>;
  readonly captureBucket: pulumi.Input<string>;
  readonly capturePrefix: pulumi.Input<string>;
  readonly captureKmsKeyArn?: pulumi.Input<string | undefined>;
  readonly modelBucket: pulumi.Input<string>;
  readonly modelKey: pulumi.Input<string>;
  readonly modelKmsKeyArn?: pulumi.Input<string | undefined>;
  readonly reportsBucket: pulumi.Input<string>;
  readonly reportsPrefix: pulumi.Input<string>;
  readonly reportsKmsKeyArn?: pulumi.Input<string | undefined>;
  readonly logGroupArn: pulumi.Input<string>;
}

export function monitorStatements(a: MonitorAccess): pulumi.Output<object[]> {
  const decrypt = pulumi
    .all([a.captureKmsKeyArn, a.modelKmsKeyArn])
    .apply((keys) => [...new Set(keys.filter((k): k is string => !!k))]);
  return pulumi
    .all([
      a.partition,
      a.captureBucket,
      a.capturePrefix,
      a.modelBucket,
      a.modelKey,
      a.reportsBucket,
      a.reportsPrefix,
      pulumi.all([decrypt, a.reportsKmsKeyArn, a.logGroupArn]),
    ])
    .apply(([p, cb, cp, mb, mk, rb, rp, [decryptKeys, reportsKey, logArn]]) => [
      {
        Sid: "ListCapture",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:${p}:s3:::${cb}`,
        ...(cp === "" ? {} : { Condition: { StringLike: { "s3:prefix": [`${cp}*`] } } }),
      },
      {
        Sid: "ReadCapture",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `arn:${p}:s3:::${cb}/${cp}*`,
      },
      // the one model it compares with, not the registry: it never serves another version
      {
        Sid: "ReadModel",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: `arn:${p}:s3:::${mb}/${mk}`,
      },
      {
        Sid: "WriteReports",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `arn:${p}:s3:::${rb}/${rp}*`,
      },
      ...(decryptKeys.length > 0
        ? [{ Sid: "Decrypt", Effect: "Allow", Action: "kms:Decrypt", Resource: decryptKeys }]
        : []),
      // a single PutObject under SSE-KMS needs a data key, nothing else of the key
      ...(reportsKey
        ? [
            {
              Sid: "EncryptReports",
              Effect: "Allow",
              Action: "kms:GenerateDataKey",
              Resource: reportsKey,
            },
          ]
        : []),
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${logArn}:*`,
      },
    ]);
}

/** The scheduler role's trust: Scheduler, on behalf of a schedule of this account only. */
export function schedulerTrust(account: pulumi.Input<string>) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  };
}
