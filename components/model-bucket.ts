/**
 * ModelBucket: a private, encrypted, versioned S3 bucket that holds the model registry
 * (core/registry.ts): every model uploaded stays under its version, `models/<version>/model.tar.gz`
 * and its `manifest.json`. A new model always lands at a new key (never overwriting the object a
 * live endpoint reads), the same model always at the same key (nothing to redeploy), and the
 * objects of earlier versions stay when a new one replaces them in the program. Given a
 * `modelVersion` instead of a `modelPath`, it uploads nothing and serves that version from the
 * registry (components/model-registry.ts).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MANIFEST, readArtifactFiles, sha256, verifyArtifact } from "../core/artifact.js";
import { isModelVersion, manifestKeyFor, modelKeyFor } from "../core/registry.js";
import { modelReadStatements, type RegisteredModel, registeredModel } from "./model-registry.js";
import { fromWorkingDir } from "./paths.js";
import { privateBucket } from "./private-bucket.js";
import { ArgumentError } from "./validate.js";

export { modelKeyFor } from "../core/registry.js";

export interface ModelBucketArgs {
  /** Path of the model.tar.gz to upload (written by `iris-mlops train` or `writeArtifact`). This or `modelVersion` is required. */
  readonly modelPath?: pulumi.Input<string>;
  /** Serve this version, already in the bucket's registry, instead of uploading one (a rollback). This or `modelPath` is required. */
  readonly modelVersion?: string;
  /** Delete the bucket even when it still holds objects, on `pulumi destroy`. Default false. */
  readonly forceDestroy?: pulumi.Input<boolean>;
  /** KMS key ARN for default encryption (SSE-KMS with an S3 bucket key). Default: none, SSE-S3 (AES256). */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Days a replaced or deleted object's old version is kept before it expires. Default 30. */
  readonly noncurrentVersionExpirationDays?: pulumi.Input<number>;
  /** Tags for the bucket and the model object. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** What the component reads from the artifact before uploading it. */
export interface ModelArtifactInfo {
  /** Absolute path of the tarball. */
  readonly path: string;
  /** manifest.model_version: the 16-hex content hash of the model. */
  readonly modelVersion: string;
  /** sha256 (hex) of the tarball's bytes. */
  readonly sha256: string;
  /** sha256 (hex) of its manifest.json: the pin of a reader that sees the files unpacked. */
  readonly manifestSha256: string;
  readonly bytes: number;
  /** `models/<model version>/model.tar.gz`. */
  readonly key: string;
  /** The artifact's manifest.json as it is in the tarball, uploaded beside it. */
  readonly manifest: string;
}

/** Read a model.tar.gz, verify it (manifest, every file's hash) and derive its key. */
export async function readModelArtifact(path: string): Promise<ModelArtifactInfo> {
  const bytes = await readFile(path).catch((error: Error) => {
    throw new Error(`ModelBucket: cannot read the model at ${path} (${error.message})`);
  });
  const files = await readArtifactFiles(bytes, path);
  const { manifest } = verifyArtifact(files);
  return {
    path: resolve(path),
    modelVersion: manifest.model_version,
    sha256: sha256(bytes),
    manifestSha256: sha256(files.get(MANIFEST) as Uint8Array),
    bytes: bytes.length,
    key: modelKeyFor(manifest.model_version),
    manifest: new TextDecoder().decode(files.get(MANIFEST)),
  };
}

/**
 * An S3 bucket prefix from project, stack and component name (`iris-mlops-prod-models-`): lower
 * case, S3's characters, at most 37 long. Named like the stack's other resources, so a deploy
 * role can be scoped to them (components/github-deploy-roles.ts).
 */
export function bucketPrefixFor(project: string, stack: string, name: string): string {
  const cleaned = `${project}-${stack}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 36)
    .replace(/-+$/, "");
  return `${cleaned || "model"}-`;
}

export class ModelBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  /** The uploaded model.tar.gz and manifest.json; undefined when serving a `modelVersion`. */
  readonly modelObject?: aws.s3.BucketObjectv2;
  readonly manifestObject?: aws.s3.BucketObjectv2;
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** `models/<model version>/model.tar.gz`. */
  readonly modelKey: pulumi.Output<string>;
  /** `s3://<bucket>/<key>`: SageMaker's ModelDataUrl. */
  readonly modelS3Uri: pulumi.Output<string>;
  /** ARN of exactly the model object: what readers are granted s3:GetObject on. */
  readonly modelObjectArn: pulumi.Output<string>;
  readonly modelVersion: pulumi.Output<string>;
  /** sha256 (hex) of the uploaded tarball: readers verify what they download against it. */
  readonly modelSha256: pulumi.Output<string>;
  /** sha256 (hex) of its manifest.json: SageMaker's container, which sees it unpacked, checks it. */
  readonly modelManifestSha256: pulumi.Output<string>;
  /** The KMS key encrypting the bucket, when one was given (readers then need kms:Decrypt). */
  readonly kmsKeyArn: pulumi.Output<string | undefined>;

  private readonly baseName: string;

  constructor(name: string, args: ModelBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:ModelBucket", name, args, opts);
    this.baseName = name;
    const parent = { parent: this };

    if ((args.modelPath === undefined) === (args.modelVersion === undefined)) {
      throw new ArgumentError("ModelBucket: give either modelPath or modelVersion");
    }
    if (args.modelVersion !== undefined && !isModelVersion(args.modelVersion)) {
      throw new ArgumentError(
        `ModelBucket: modelVersion must be a model version (16 hex digits), got ${args.modelVersion}`,
      );
    }
    const kmsKeyArn = pulumi.output(args.kmsKeyArn);

    const { bucket: bucketResource, settings } = privateBucket(
      name,
      {
        bucketPrefix: bucketPrefixFor(pulumi.getProject(), pulumi.getStack(), name),
        forceDestroy: args.forceDestroy,
        kmsKeyArn,
        versioned: true,
        lifecycleRules: [
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: { prefix: "" },
            noncurrentVersionExpiration: {
              noncurrentDays: args.noncurrentVersionExpirationDays ?? 30,
            },
            expiration: { expiredObjectDeleteMarker: true },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
        tags: args.tags,
      },
      this,
    );
    this.bucket = bucketResource;
    const bucket = this.bucket.id;

    let model: pulumi.Output<RegisteredModel>;
    if (args.modelVersion === undefined) {
      ({
        model,
        modelObject: this.modelObject,
        manifestObject: this.manifestObject,
      } = this.upload(name, args, settings));
    } else {
      model = registeredModel(bucket, args.modelVersion, parent);
    }

    this.bucketName = this.bucket.bucket;
    this.bucketArn = this.bucket.arn;
    this.modelKey = model.key;
    this.modelS3Uri = pulumi.interpolate`s3://${this.bucket.bucket}/${model.key}`;
    this.modelObjectArn = pulumi.interpolate`${this.bucket.arn}/${model.key}`;
    this.modelVersion = model.modelVersion;
    this.modelSha256 = model.sha256;
    this.modelManifestSha256 = model.manifestSha256;
    this.kmsKeyArn = kmsKeyArn;

    this.registerOutputs({
      bucketName: this.bucketName,
      bucketArn: this.bucketArn,
      modelKey: this.modelKey,
      modelS3Uri: this.modelS3Uri,
      modelObjectArn: this.modelObjectArn,
      modelVersion: this.modelVersion,
      modelSha256: this.modelSha256,
      modelManifestSha256: this.modelManifestSha256,
    });
  }

  /**
   * Upload the model to its version's keys. Kept in the bucket when the program stops naming
   * them (a new version replaces them, or a pinned version is served): the registry keeps every
   * version, and the lifecycle rule expires an object only once it is deleted or overwritten.
   */
  private upload(name: string, args: ModelBucketArgs, settings: pulumi.Resource[]) {
    const artifact = pulumi.output(args.modelPath as pulumi.Input<string>).apply(readModelArtifact);
    // upload only once the bucket is private, encrypted and versioned
    const opts = { parent: this, dependsOn: settings, retainOnDelete: true };
    const common = { bucket: this.bucket.id, checksumAlgorithm: "SHA256", tags: args.tags };
    const modelObject = new aws.s3.BucketObjectv2(
      `${name}-model`,
      {
        ...common,
        key: artifact.key,
        source: artifact.apply((a) => new pulumi.asset.FileAsset(fromWorkingDir(a.path))),
        contentType: "application/gzip",
        metadata: { "model-version": artifact.modelVersion, sha256: artifact.sha256 },
      },
      opts,
    );
    const manifestObject = new aws.s3.BucketObjectv2(
      `${name}-manifest`,
      {
        ...common,
        key: artifact.modelVersion.apply(manifestKeyFor),
        content: artifact.manifest,
        contentType: "application/json",
        metadata: { "model-version": artifact.modelVersion },
      },
      opts,
    );
    // resolved once both are uploaded, so that readers wait for them
    const model: pulumi.Output<RegisteredModel> = pulumi
      .all([artifact, modelObject.key, manifestObject.key])
      .apply(([a, key]) => ({
        modelVersion: a.modelVersion,
        key,
        sha256: a.sha256,
        manifestSha256: a.manifestSha256,
      }));
    return { model, modelObject, manifestObject };
  }

  /**
   * Let a role read the model (CDK's grantRead): s3:GetObject on exactly the model object, and
   * kms:Decrypt on the bucket's key when it has one. Returns the inline role policy.
   */
  grantRead(
    name: string,
    roleName: pulumi.Input<string>,
    opts?: pulumi.CustomResourceOptions,
  ): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(
      `${this.baseName}-read-${name}`,
      {
        role: roleName,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: modelReadStatements(this.modelObjectArn, this.kmsKeyArn),
        }),
      },
      { parent: this, ...opts },
    );
  }
}
