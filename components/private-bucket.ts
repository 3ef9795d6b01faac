/**
 * The settings every bucket of the project gets (ModelBucket, TrafficCapture): private (public
 * access blocked, ACLs off), encrypted by default (SSE-KMS with a bucket key when a key is given,
 * SSE-S3 otherwise), TLS only, with a lifecycle. Child names derive from the component's name, so
 * a component moving onto this helper keeps its children (no replacement).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface PrivateBucketArgs {
  readonly bucketPrefix: string;
  readonly forceDestroy?: pulumi.Input<boolean>;
  /** KMS key ARN for default encryption. Default: none, SSE-S3 (AES256). */
  readonly kmsKeyArn: pulumi.Output<string | undefined>;
  /** Keep every version of every object. */
  readonly versioned: boolean;
  /** The lifecycle rules (applied once versioning is set). */
  readonly lifecycleRules: pulumi.Input<aws.types.input.s3.BucketLifecycleConfigurationRule[]>;
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface PrivateBucket {
  readonly bucket: aws.s3.Bucket;
  /** What must exist before anything is written: access block, ownership, encryption (and versioning). */
  readonly settings: pulumi.Resource[];
}

export function privateBucket(
  name: string,
  args: PrivateBucketArgs,
  parentResource: pulumi.Resource,
): PrivateBucket {
  const parent = { parent: parentResource };
  const bucketResource = new aws.s3.Bucket(
    `${name}-bucket`,
    { bucketPrefix: args.bucketPrefix, forceDestroy: args.forceDestroy ?? false, tags: args.tags },
    parent,
  );
  const bucket = bucketResource.id;

  const publicAccess = new aws.s3.BucketPublicAccessBlock(
    `${name}-public-access`,
    {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    parent,
  );

  const ownership = new aws.s3.BucketOwnershipControls(
    `${name}-ownership`,
    { bucket, rule: { objectOwnership: "BucketOwnerEnforced" } },
    parent,
  );

  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-encryption`,
    {
      bucket,
      rules: [
        {
          applyServerSideEncryptionByDefault: args.kmsKeyArn.apply((key) =>
            key ? { sseAlgorithm: "aws:kms", kmsMasterKeyId: key } : { sseAlgorithm: "AES256" },
          ),
          bucketKeyEnabled: args.kmsKeyArn.apply((key) => (key ? true : undefined)),
        },
      ],
    },
    parent,
  );

  const versioning = args.versioned
    ? new aws.s3.BucketVersioning(
        `${name}-versioning`,
        { bucket, versioningConfiguration: { status: "Enabled" } },
        parent,
      )
    : undefined;

  new aws.s3.BucketPolicy(
    `${name}-tls-only`,
    {
      bucket,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketResource.arn, pulumi.interpolate`${bucketResource.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    },
    // the public access block first: a policy put while it is being set can be refused
    { parent: parentResource, dependsOn: [publicAccess] },
  );

  new aws.s3.BucketLifecycleConfiguration(
    `${name}-lifecycle`,
    { bucket, rules: args.lifecycleRules },
    { parent: parentResource, dependsOn: versioning ? [versioning] : [] },
  );

  return {
    bucket: bucketResource,
    settings: [publicAccess, ownership, encryption, ...(versioning ? [versioning] : [])],
  };
}
