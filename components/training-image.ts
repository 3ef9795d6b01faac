/**
 * TrainingImage: a private ECR repository (scan on push, immutable tags, old images expired) and
 * the repository's Dockerfile built for linux/amd64 and pushed during `pulumi up` as a Docker v2
 * schema 2 manifest (what SageMaker's CreateModel accepts), tagged with a hash of the build
 * context and referenced downstream by digest only. docs/decisions/0002-image-build.md says why
 * @pulumi/docker-build, and why its embedded build needs no BUILDX_NO_DEFAULT_ATTESTATIONS.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { hashBuildContext } from "./context-hash.js";
import { fromWorkingDir, packageRoot } from "./paths.js";
import { ArgumentError, checkInteger, checkOneOf } from "./validate.js";

export type ImagePlatform = "linux/amd64" | "linux/arm64";

export interface TrainingImageArgs {
  /** Build context folder. Default: the package root (the repository's root in a clone). */
  readonly context?: pulumi.Input<string>;
  /** The Dockerfile. Default `<context>/Dockerfile`. */
  readonly dockerfile?: pulumi.Input<string>;
  /** The `BASE_IMAGE` build argument (the Dockerfile's `ARG BASE_IMAGE`). Default: not passed, the Dockerfile's own default. */
  readonly baseImage?: pulumi.Input<string>;
  /** Target platform. Default "linux/amd64", what SageMaker's usual instance types run. */
  readonly platform?: pulumi.Input<ImagePlatform>;
  /**
   * Image tag. Default `ctx-<16 hex>`, a hash of everything that determines the image: the build
   * context (files .dockerignore lets through), the Dockerfile, the build arguments, the platform
   * and the export settings. A tag given here must change whenever any of those do: the
   * repository's tags are immutable.
   */
  readonly tag?: pulumi.Input<string>;
  /**
   * ECR repository name. Default: auto-named, `<project>-<stack>-<component name>-repo-<7 hex>`
   * with Pulumi.yaml's pattern, so a replacement gets a new name instead of colliding with the
   * repository it replaces.
   */
  readonly repositoryName?: pulumi.Input<string>;
  /** Delete the repository even when it holds images, on `pulumi destroy`. Default false. */
  readonly forceDelete?: pulumi.Input<boolean>;
  /** Images kept in the repository; older ones expire. Keep more than an endpoint could still pull. Default 20. */
  readonly keepImages?: pulumi.Input<number>;
  /** Build during `pulumi preview` too (nothing is pushed then). Default false: previews stay fast. */
  readonly buildOnPreview?: pulumi.Input<boolean>;
  /** Tags for the repository. Default: none. */
  readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * How the image is exported: a registry push with Docker media types (what SageMaker's CreateModel
 * accepts), not the `push` shorthand, which pushes OCI. One value for the build and its tag hash.
 */
const REGISTRY_EXPORT = {
  registry: { ociMediaTypes: false, compression: dockerbuild.CompressionType.Gzip, push: true },
};

/** The settings besides the context and build arguments that change the pushed image: part of its tag. */
export const imageSettings = (platform: string): Record<string, string> => ({
  platform,
  exports: JSON.stringify([REGISTRY_EXPORT]),
});

/** The ECR lifecycle policy: expire everything beyond the newest `keep` images. */
export const keepLastImagesPolicy = (keep: number) =>
  JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `keep the newest ${keep} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
        action: { type: "expire" },
      },
    ],
  });

export class TrainingImage extends pulumi.ComponentResource {
  readonly repository: aws.ecr.Repository;
  readonly image: dockerbuild.Image;
  /** `<registry>/<repository>@sha256:…`: the pushed image, by digest. */
  readonly imageUri: pulumi.Output<string>;
  readonly imageDigest: pulumi.Output<string>;
  readonly imageTag: pulumi.Output<string>;
  readonly repositoryUrl: pulumi.Output<string>;
  readonly repositoryArn: pulumi.Output<string>;

  constructor(name: string, args: TrainingImageArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:TrainingImage", name, args, opts);
    const c = "TrainingImage";
    checkOneOf(c, "platform", args.platform, ["linux/amd64", "linux/arm64"]);
    checkInteger(c, "keepImages", args.keepImages, 1, 1000);
    const parent = { parent: this };

    const context = pulumi.output(args.context ?? packageRoot());
    const dockerfile = pulumi
      .all([context, args.dockerfile])
      .apply(([dir, file]) => file ?? join(dir, "Dockerfile"));
    const buildArgs = pulumi
      .output(args.baseImage)
      .apply((base): Record<string, string> => (base ? { BASE_IMAGE: base } : {}));
    const platform = pulumi.output(args.platform ?? "linux/amd64");
    this.imageTag = args.tag
      ? pulumi.output(args.tag)
      : pulumi.all([context, dockerfile, buildArgs, platform]).apply(([dir, file, bargs, p]) => {
          if (!existsSync(file)) {
            throw new ArgumentError(`${c} ${name}: no Dockerfile at ${file} (context ${dir})`);
          }
          return `ctx-${hashBuildContext(dir, file, bargs, imageSettings(p)).slice(0, 16)}`;
        });

    this.repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        name: args.repositoryName,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: args.forceDelete ?? false,
        tags: args.tags,
      },
      parent,
    );

    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      {
        repository: this.repository.name,
        policy: pulumi.output(args.keepImages ?? 20).apply(keepLastImagesPolicy),
      },
      parent,
    );

    // Asked for in preview as well (once the repository is known): the image's inputs are then
    // the same in preview as in `up`, so a preview shows no change that `up` would not make.
    // The read-only preview role may call ecr:GetAuthorizationToken for this; the token grants
    // nothing beyond that role's own ECR rights (metadata reads: no pull, no push).
    const token = aws.ecr.getAuthorizationTokenOutput(
      { registryId: this.repository.registryId },
      parent,
    );

    this.image = new dockerbuild.Image(
      `${name}-image`,
      {
        // relative to the project folder (the provider's working directory): an absolute path
        // would differ between clones and make every `up` from a new checkout rebuild and re-push
        context: { location: context.apply(fromWorkingDir) },
        dockerfile: { location: dockerfile.apply(fromWorkingDir) },
        platforms: [platform],
        buildArgs,
        tags: [pulumi.interpolate`${this.repository.repositoryUrl}:${this.imageTag}`],
        // an explicit registry export instead of `push: true`, to pin Docker media types; no
        // `exec`: the embedded build turns buildx's default provenance (an OCI index) off itself
        push: false,
        exports: [REGISTRY_EXPORT],
        registries: [
          {
            address: this.repository.repositoryUrl,
            username: token.userName,
            password: pulumi.secret(token.password),
          },
        ],
        buildOnPreview: args.buildOnPreview ?? false,
      },
      parent,
    );

    this.imageDigest = this.image.digest;
    this.imageUri = pulumi.interpolate`${this.repository.repositoryUrl}@${this.image.digest}`;
    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;

    this.registerOutputs({
      imageUri: this.imageUri,
      imageDigest: this.imageDigest,
      imageTag: this.imageTag,
      repositoryUrl: this.repositoryUrl,
      repositoryArn: this.repositoryArn,
    });
  }
}
