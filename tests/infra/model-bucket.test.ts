import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { ModelBucket, readModelArtifact } from "../../components/model-bucket.js";
import { readArtifactFiles } from "../../core/artifact.js";
import {
  policyOf,
  type Recorder,
  settle,
  tempDir,
  useMocks,
  value,
  writeTestModel,
} from "./harness.js";

describe("ModelBucket", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let tarball: string;
  let version: string;
  let tarballSha: string;

  before(async () => {
    tmp = await tempDir("model-bucket");
    const model = await writeTestModel(tmp.dir);
    tarball = model.tarball;
    version = model.manifest.model_version;
    tarballSha = createHash("sha256")
      .update(await readFile(tarball))
      .digest("hex");
  });
  after(() => tmp.remove());

  /** The resource options each child was registered with (the mocks are not given them). */
  let options: Record<string, pulumi.CustomResourceOptions>;
  async function build(args: Partial<ConstructorParameters<typeof ModelBucket>[1]> = {}) {
    const mocks = await useMocks();
    options = {};
    const models = new ModelBucket(
      "models",
      { modelPath: tarball, ...args },
      {
        transformations: [
          ({ name, opts }) => {
            options[name] = opts;
            return undefined;
          },
        ],
      },
    );
    await settle(mocks, [models.modelS3Uri, models.modelObjectArn, models.bucketName]);
    return { mocks, models };
  }

  describe("with defaults", () => {
    let mocks: Recorder;
    let models: ModelBucket;
    before(async () => {
      ({ mocks, models } = await build());
    });

    it("registers as iris-mlops:index:ModelBucket with children named after it", () => {
      const component = mocks.one("iris-mlops:index:ModelBucket");
      assert.equal(component.name, "models");
      const children = mocks.resources.filter((r) => r.custom).map((r) => r.name);
      assert.ok(children.length >= 8);
      for (const child of children) assert.match(child, /^models-/);
    });

    it("keeps the bucket and its objects on destroy unless asked (forceDestroy false)", () => {
      assert.equal(mocks.one("aws:s3/bucket:Bucket").inputs.forceDestroy, false);
    });

    it("blocks every kind of public access", () => {
      const pab = mocks.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs;
      assert.deepEqual(
        {
          blockPublicAcls: pab.blockPublicAcls,
          blockPublicPolicy: pab.blockPublicPolicy,
          ignorePublicAcls: pab.ignorePublicAcls,
          restrictPublicBuckets: pab.restrictPublicBuckets,
        },
        {
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
      );
    });

    it("encrypts with SSE-S3 by default", () => {
      const sse = mocks.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      ).inputs;
      assert.equal(sse.rules.length, 1);
      assert.deepEqual(sse.rules[0].applyServerSideEncryptionByDefault, { sseAlgorithm: "AES256" });
      assert.equal(sse.rules[0].bucketKeyEnabled, undefined);
    });

    it("enables versioning", () => {
      const v = mocks.one("aws:s3/bucketVersioning:BucketVersioning").inputs;
      assert.deepEqual(v.versioningConfiguration, { status: "Enabled" });
    });

    it("denies every request not made over TLS, on the bucket and its objects", async () => {
      const bucketArn = await value(models.bucketArn);
      const policy = policyOf(mocks.one("aws:s3/bucketPolicy:BucketPolicy"));
      assert.deepEqual(policy.Statement, [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucketArn, `${bucketArn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
    });

    it("enforces bucket-owner object ownership (no ACLs)", () => {
      const o = mocks.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs;
      assert.deepEqual(o.rule, { objectOwnership: "BucketOwnerEnforced" });
    });

    it("expires non-current versions after 30 days", () => {
      const lc = mocks.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      ).inputs;
      assert.equal(lc.rules.length, 1);
      const [rule] = lc.rules;
      assert.equal(rule.status, "Enabled");
      assert.deepEqual(rule.filter, { prefix: "" });
      assert.deepEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 30 });
      assert.deepEqual(rule.abortIncompleteMultipartUpload, { daysAfterInitiation: 7 });
    });

    it("points every configuration at the bucket", async () => {
      const bucket = await value(models.bucketName);
      for (const type of [
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketObjectv2:BucketObjectv2",
      ]) {
        const found = mocks.all(type);
        assert.ok(found.length > 0, type);
        for (const r of found) assert.equal(r.inputs.bucket, bucket, `${type} ${r.name}`);
      }
    });

    it("uploads the model at models/<model version>/model.tar.gz with its sha256", async () => {
      const object = mocks.one("aws:s3/bucketObjectv2:BucketObjectv2", "models-model").inputs;
      assert.equal(object.key, `models/${version}/model.tar.gz`);
      assert.equal(object.contentType, "application/gzip");
      assert.equal(object.checksumAlgorithm, "SHA256");
      assert.deepEqual(object.metadata, { "model-version": version, sha256: tarballSha });
      // relative to the program's folder, the same from any clone (tests/infra/host-run.test.ts)
      const path = (await object.source.path) as string;
      assert.ok(!isAbsolute(path), path);
      assert.equal(resolve(path), tarball);
    });

    it("uploads the tarball's own manifest.json beside it, under the same version", async () => {
      const object = mocks.one("aws:s3/bucketObjectv2:BucketObjectv2", "models-manifest").inputs;
      assert.equal(object.key, `models/${version}/manifest.json`);
      assert.equal(object.contentType, "application/json");
      assert.equal(object.checksumAlgorithm, "SHA256");
      assert.deepEqual(object.metadata, { "model-version": version });
      const inTarball = (await readArtifactFiles(tarball)).get("manifest.json") as Uint8Array;
      assert.equal(object.content, Buffer.from(inTarball).toString("utf8"));
      assert.equal(JSON.parse(object.content).model_version, version);
    });

    it("keeps every uploaded version in the bucket when the program stops naming it (retainOnDelete)", () => {
      // a new version replaces the two objects in the program: without this, Pulumi deletes
      // the previous version's keys, and the registry holds only the newest model
      assert.equal(options["models-model"]?.retainOnDelete, true);
      assert.equal(options["models-manifest"]?.retainOnDelete, true);
      // the bucket itself follows forceDestroy, not this
      assert.equal(options["models-bucket"]?.retainOnDelete, undefined);
    });

    it("exposes the model's key, URI, object ARN, version, sha256 and manifest sha256", async () => {
      const bucket = await value(models.bucketName);
      assert.match(bucket, /^iris-mlops-test-models-[0-9a-f]+$/);
      assert.equal(await value(models.bucketArn), `arn:aws:s3:::${bucket}`);
      assert.equal(await value(models.modelKey), `models/${version}/model.tar.gz`);
      assert.equal(await value(models.modelS3Uri), `s3://${bucket}/models/${version}/model.tar.gz`);
      assert.equal(
        await value(models.modelObjectArn),
        `arn:aws:s3:::${bucket}/models/${version}/model.tar.gz`,
      );
      assert.equal(await value(models.modelVersion), version);
      assert.match(await value(models.modelVersion), /^[0-9a-f]{16}$/);
      assert.equal(await value(models.modelSha256), tarballSha);
      assert.equal(
        await value(models.modelManifestSha256),
        (await readModelArtifact(tarball)).manifestSha256,
      );
    });
  });

  it("switches to SSE-KMS with a bucket key when given a KMS key", async () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
    const { mocks } = await build({ kmsKeyArn: key });
    const [rule] = mocks.one(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ).inputs.rules;
    assert.deepEqual(rule.applyServerSideEncryptionByDefault, {
      sseAlgorithm: "aws:kms",
      kmsMasterKeyId: key,
    });
    assert.equal(rule.bucketKeyEnabled, true);
  });

  it("takes forceDestroy and the non-current version expiry from its arguments", async () => {
    const { mocks } = await build({ forceDestroy: true, noncurrentVersionExpirationDays: 7 });
    assert.equal(mocks.one("aws:s3/bucket:Bucket").inputs.forceDestroy, true);
    const [rule] = mocks.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
      .inputs.rules;
    assert.deepEqual(rule.noncurrentVersionExpiration, { noncurrentDays: 7 });
  });

  it("grantRead allows s3:GetObject on exactly the model object (and kms:Decrypt on its key)", async () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
    const mocks = await useMocks();
    const models = new ModelBucket("models", { modelPath: tarball, kmsKeyArn: key });
    const grant = models.grantRead("reader", "some-role");
    await settle(mocks, [grant.policy, models.modelObjectArn]);
    const policy = policyOf(mocks.one("aws:iam/rolePolicy:RolePolicy"));
    assert.equal(mocks.one("aws:iam/rolePolicy:RolePolicy").name, "models-read-reader");
    assert.equal(mocks.one("aws:iam/rolePolicy:RolePolicy").inputs.role, "some-role");
    assert.deepEqual(policy.Statement, [
      {
        Sid: "ReadModel",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: await value(models.modelObjectArn),
      },
      { Sid: "DecryptModel", Effect: "Allow", Action: "kms:Decrypt", Resource: key },
    ]);
  });

  describe("readModelArtifact", () => {
    it("derives the content-addressed key, the tarball's sha256 and its manifest's", async () => {
      const info = await readModelArtifact(tarball);
      assert.equal(info.modelVersion, version);
      assert.equal(info.key, `models/${version}/model.tar.gz`);
      assert.equal(info.sha256, tarballSha);
      // the manifest inside the tarball is the copy train wrote beside it
      const manifest = await readFile(join(dirname(tarball), "manifest.json"));
      assert.equal(info.manifestSha256, createHash("sha256").update(manifest).digest("hex"));
    });

    it("gives a different model a different key", async () => {
      const other = await tempDir("model-other");
      try {
        const { tarball: second } = await writeTestModel(other.dir, { seed: 7 });
        const info = await readModelArtifact(second);
        assert.notEqual(info.key, `models/${version}/model.tar.gz`);
        assert.match(info.key, /^models\/[0-9a-f]{16}\/model\.tar\.gz$/);
      } finally {
        await other.remove();
      }
    });

    it("refuses a missing file, a non-gzip file and a tampered artifact", async () => {
      await assert.rejects(readModelArtifact(join(tmp.dir, "absent.tar.gz")), /cannot read/);
      const notGzip = join(tmp.dir, "plain.tar.gz");
      await writeFile(notGzip, "not a tarball");
      await assert.rejects(readModelArtifact(notGzip), /not a \.tar\.gz/);
      const bytes = await readFile(tarball);
      const truncated = join(tmp.dir, "truncated.tar.gz");
      await writeFile(truncated, bytes.subarray(0, bytes.length - 20));
      await assert.rejects(readModelArtifact(truncated), /truncated or corrupt/);
    });
  });
});
