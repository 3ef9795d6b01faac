/**
 * Serving a version already in the registry (`iris-mlops:model.version`, a rollback by version):
 * the ModelBucket's lookup through the S3 data sources, which the mocks answer from the keys a
 * test puts in `mocks.objects`, and the stack pinned with no local file and no training.
 */
import { strict as assert } from "node:assert";
import { readFile, stat } from "node:fs/promises";
import * as pulumi from "@pulumi/pulumi";
import { ModelBucket } from "../../components/model-bucket.js";
import { checkListed, registryObjectsArn } from "../../components/model-registry.js";
import { sha256 } from "../../core/artifact.js";
import { manifestKeyFor, modelKeyFor, registryFile } from "../../core/registry.js";
import { irisStack, modelDirFor } from "../../stacks/program.js";
import {
  FIXTURE_HANDLER,
  FIXTURE_IMAGE_CONTEXT,
  failure,
  type Recorder,
  settle,
  tempDir,
  useMocks,
  value,
  writeTestModel,
} from "./harness.js";

interface Stored {
  readonly version: string;
  readonly bytes: Buffer;
  /** sha256 of the manifest.json inside the tarball. */
  readonly manifestSha256: string;
}

const GET_OBJECTS = "aws:s3/getObjects:getObjects";
const GET_OBJECT = "aws:s3/getObject:getObject";
const invoked = (mocks: Recorder, token: string) => mocks.invokes.filter((i) => i.token === token);

describe("pinning a model version from the registry", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let a: Stored;
  let b: Stored;

  before(async () => {
    tmp = await tempDir("model-pin");
    const stored = async (dir: string, seed: number): Promise<Stored> => {
      const { tarball, manifest } = await writeTestModel(`${tmp.dir}/${dir}`, { seed });
      return {
        version: manifest.model_version,
        bytes: await readFile(tarball),
        // train writes a copy of the tarball's manifest beside it
        manifestSha256: sha256(await readFile(`${tmp.dir}/${dir}/manifest.json`)),
      };
    };
    a = await stored("a", 1);
    b = await stored("b", 2);
  });
  after(() => tmp.remove());

  /** Install the mocks with a registry holding these versions (and any other objects). */
  async function registry(models: Stored[], extra: Record<string, string> = {}, preview = false) {
    const mocks = await useMocks({}, "test", preview);
    for (const m of models) {
      mocks.objects.set(modelKeyFor(m.version), m.bytes);
      mocks.objects.set(manifestKeyFor(m.version), Buffer.from("{}"));
    }
    for (const [key, text] of Object.entries(extra)) mocks.objects.set(key, Buffer.from(text));
    return mocks;
  }

  describe("the registry's layout", () => {
    it("reads a key as a version's tarball or manifest, and nothing else as part of it", () => {
      const v = "0123456789abcdef";
      assert.deepEqual(registryFile(`models/${v}/model.tar.gz`), {
        version: v,
        file: "model.tar.gz",
      });
      assert.deepEqual(registryFile(`models/${v}/manifest.json`), {
        version: v,
        file: "manifest.json",
      });
      for (const key of [
        "notes.txt",
        `${v}/model.tar.gz`,
        `models/${v}`,
        `models/${v}/`,
        `models/${v}/model.json`,
        `models/${v}/x/model.tar.gz`,
        `models/${v.toUpperCase()}/model.tar.gz`,
        "models/0123/model.tar.gz",
        `modelsx/${v}/model.tar.gz`,
      ]) {
        assert.equal(registryFile(key), undefined, key);
      }
    });

    it("finds a version only by its tarball, and names what is there when it is missing", () => {
      const keys = [
        modelKeyFor(a.version),
        manifestKeyFor(b.version), // a manifest without its tarball is not a model
        "models/readme.txt",
        "other/model.tar.gz",
      ];
      assert.equal(checkListed("bkt", keys, a.version), modelKeyFor(a.version));
      assert.throws(
        () => checkListed("bkt", keys, b.version),
        (e: Error) =>
          e.message ===
          `model version ${b.version} is not in the registry s3://bkt/models/; it holds ${a.version} (iris-mlops models list --bucket bkt shows them with their metrics)`,
      );
      assert.throws(() => checkListed("bkt", ["notes.txt"], a.version), /holds no model yet/);
    });

    it("names at most 20 versions in the message", () => {
      const versions = Array.from({ length: 25 }, (_, i) => i.toString(16).padStart(16, "0"));
      assert.throws(
        () => checkListed("bkt", versions.map(modelKeyFor), "ffffffffffffffff"),
        (e: Error) =>
          e.message.includes(`${versions[19]} and 5 more`) &&
          !e.message.includes(versions[20] as string),
      );
    });

    it("lets serving roles read the bucket's models/ prefix, and refuses a key outside it", async () => {
      await useMocks();
      assert.equal(
        await value(registryObjectsArn("aws", "bkt", "models/0123456789abcdef/model.tar.gz")),
        "arn:aws:s3:::bkt/models/*",
      );
      const error = await failure(registryObjectsArn("aws", "bkt", "elsewhere/model.tar.gz"));
      assert.match(
        error.message,
        /elsewhere\/model\.tar\.gz is outside the registry prefix models\//,
      );
    });
  });

  describe("ModelBucket with modelVersion", () => {
    it("serves the version from the registry and uploads nothing", async () => {
      const mocks = await registry([a, b]);
      const models = new ModelBucket("models", { modelVersion: a.version });
      await settle(mocks, [models.modelKey, models.modelSha256, models.modelS3Uri]);
      const bucket = mocks.one("aws:s3/bucket:Bucket", "models-bucket").state.bucket;
      assert.equal(mocks.all("aws:s3/bucketObjectv2:BucketObjectv2").length, 0);
      assert.equal(models.modelObject, undefined);
      assert.equal(await value(models.modelKey), modelKeyFor(a.version));
      assert.equal(await value(models.modelVersion), a.version);
      assert.equal(await value(models.modelSha256), sha256(a.bytes));
      assert.equal(await value(models.modelManifestSha256), a.manifestSha256);
      assert.equal(await value(models.modelS3Uri), `s3://${bucket}/${modelKeyFor(a.version)}`);
      assert.deepEqual(
        invoked(mocks, GET_OBJECTS).map((i) => [i.inputs.bucket, i.inputs.prefix]),
        [[bucket, `models/${a.version}/`]],
      );
      assert.deepEqual(
        invoked(mocks, GET_OBJECT).map((i) => [
          i.inputs.bucket,
          i.inputs.key,
          i.inputs.downloadBody,
        ]),
        [[bucket, modelKeyFor(a.version), "true"]],
      );
    });

    it("finds a version in a registry of more keys than one listing holds", async () => {
      const strays = Object.fromEntries(
        Array.from({ length: 10_001 }, (_, i) => [
          `models/0-stray-${String(i).padStart(5, "0")}`,
          "x",
        ]),
      );
      await registry([a], strays);
      const models = new ModelBucket("models", { modelVersion: a.version });
      assert.equal(await value(models.modelSha256), sha256(a.bytes));
    });

    it("fails on an unknown version, naming the versions there, without reading any object", async () => {
      const mocks = await registry([a, b], { "models/notes.txt": "hello" });
      const models = new ModelBucket("models", { modelVersion: "0123456789abcdef" });
      const error = await failure(models.modelKey);
      const [first, second] = [a.version, b.version].sort();
      assert.match(
        error.message,
        new RegExp(
          `model version 0123456789abcdef is not in the registry s3://.+/models/; it holds ${first}, ${second} `,
        ),
      );
      assert.equal(invoked(mocks, GET_OBJECT).length, 0);
    });

    it("fails in preview as in up: the lookup is a data source", async () => {
      const mocks = await registry([a], {}, true);
      const models = new ModelBucket("models", { modelVersion: b.version });
      assert.match(
        (await failure(models.modelSha256)).message,
        new RegExp(`it holds ${a.version} `),
      );
      assert.deepEqual(
        invoked(mocks, GET_OBJECTS).map((i) => i.inputs.prefix),
        [`models/${b.version}/`, "models/"],
      );
    });

    it("says so when the registry is empty", async () => {
      await registry([], { "notes.txt": "not a model" });
      const models = new ModelBucket("models", { modelVersion: a.version });
      assert.match(
        (await failure(models.modelKey)).message,
        /model version [0-9a-f]{16} is not in the registry: s3:\/\/.+\/models\/ holds no model yet; deploy a trained model first/,
      );
    });

    it("refuses a version whose tarball is corrupt, or holds another model", async () => {
      const corrupt = await registry([{ ...a, bytes: a.bytes.subarray(0, 200) }]);
      let models = new ModelBucket("models", { modelVersion: a.version });
      assert.match(
        (await failure(models.modelKey)).message,
        new RegExp(
          `^model version ${a.version} cannot be served: s3://.+/models/${a.version}/model\\.tar\\.gz: .*truncated or corrupt`,
        ),
      );
      assert.equal(invoked(corrupt, GET_OBJECT).length, 1);

      await registry([{ ...b, version: a.version }]);
      models = new ModelBucket("models", { modelVersion: a.version });
      assert.match(
        (await failure(models.modelKey)).message,
        new RegExp(
          `model\\.tar\\.gz holds model ${b.version}, not ${a.version}: it was put under the wrong version`,
        ),
      );
    });

    it("takes either modelPath or a well-formed modelVersion", async () => {
      await useMocks();
      assert.throws(() => new ModelBucket("none", {}), /give either modelPath or modelVersion/);
      assert.throws(
        () => new ModelBucket("both", { modelPath: "m.tar.gz", modelVersion: a.version }),
        /give either modelPath or modelVersion/,
      );
      assert.throws(
        () => new ModelBucket("bad", { modelVersion: "../x" }),
        /modelVersion must be a model version \(16 hex digits\), got \.\.\/x/,
      );
    });
  });

  describe("the stack with iris-mlops:model.version", () => {
    const base = {
      "iris-mlops:model": { trees: 10, folds: 2, seed: 5 },
      "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER },
    };
    let build: Awaited<ReturnType<typeof tempDir>>;
    before(async () => {
      build = await tempDir("stack-pin");
    });
    after(() => build.remove());

    it("serves the pinned version to the Lambda and SageMaker with no local file and no training", async () => {
      const mocks = await registry([a, b]);
      pulumi.runtime.setAllConfig({
        "iris-mlops:model": JSON.stringify(base["iris-mlops:model"]),
        "iris-mlops:api": JSON.stringify(base["iris-mlops:api"]),
        "iris-mlops:image": JSON.stringify({ context: FIXTURE_IMAGE_CONTEXT }),
        "iris-mlops:sagemaker": JSON.stringify({ enabled: true }),
        "iris-mlops:model.version": a.version,
      });
      const outputs = await irisStack(undefined, { buildRoot: build.dir });
      await settle(mocks, [
        outputs.apiUrl,
        outputs.modelS3Uri,
        outputs.endpointName as pulumi.Output<string>,
      ]);
      const container = mocks.one("aws:sagemaker/model:Model").inputs.primaryContainer;
      assert.equal(container.modelDataUrl, await value(outputs.modelS3Uri));
      assert.ok(container.modelDataUrl.endsWith(`/${modelKeyFor(a.version)}`));
      // the pin is the model's; the capture settings beside it are the stack's (capture.sample)
      assert.equal(container.environment.MODEL_MANIFEST_SHA256, a.manifestSha256);
      await assert.rejects(stat(modelDirFor(build.dir, "test")), "nothing trained");
      assert.equal(mocks.all("aws:s3/bucketObjectv2:BucketObjectv2").length, 0);
      const env = mocks.one("aws:lambda/function:Function").inputs.environment.variables;
      assert.equal(
        env.MODEL_BUCKET,
        mocks.one("aws:s3/bucket:Bucket", "models-bucket").state.bucket,
      );
      assert.equal(env.MODEL_KEY, modelKeyFor(a.version));
      assert.equal(env.MODEL_SHA256, sha256(a.bytes));
      assert.equal(await value(outputs.modelVersion), a.version);
    });

    // not the last test: the next one's mocks drop the registrations this failure leaves waiting
    it("fails on an unknown version before the function or its role are given it", async () => {
      const mocks = await registry([a]);
      pulumi.runtime.setAllConfig({
        "iris-mlops:api": JSON.stringify(base["iris-mlops:api"]),
        "iris-mlops:model.version": b.version,
      });
      const outputs = await irisStack(undefined, { buildRoot: build.dir });
      assert.match(
        (await failure(outputs.modelVersion)).message,
        new RegExp(`it holds ${a.version} `),
      );
      await settle(mocks);
      assert.equal(mocks.all("aws:lambda/function:Function").length, 0);
      // the traffic capture's roles (Firehose, logs) do not depend on the model: only those remain
      const policies = mocks.all("aws:iam/rolePolicy:RolePolicy").map((r) => r.name);
      assert.deepEqual(
        policies.filter((n) => !n.includes("capture")),
        [],
      );
      assert.equal(mocks.all("aws:s3/bucketObjectv2:BucketObjectv2").length, 0);
    });
    it("rolls back: the pinned version gives the function what the version's own deploy gave it", async () => {
      // deploy a trained model, then another, then pin the first by its version
      const first = await useMocks(base);
      const trained = await irisStack(undefined, { buildRoot: build.dir });
      await settle(first, [trained.apiUrl]);
      const deployed = first.one("aws:lambda/function:Function").inputs.environment.variables;
      const version = await value(trained.modelVersion);
      const tarball = await readFile(`${modelDirFor(build.dir, "test")}/model.tar.gz`);

      const mocks = await registry([{ version, bytes: tarball, manifestSha256: "" }, b]);
      pulumi.runtime.setAllConfig({
        "iris-mlops:model": JSON.stringify({ ...base["iris-mlops:model"], seed: 6 }),
        "iris-mlops:api": JSON.stringify(base["iris-mlops:api"]),
        "iris-mlops:model.version": version,
      });
      const rolledBack = await irisStack(undefined, { buildRoot: build.dir });
      await settle(mocks, [rolledBack.apiUrl]);
      const env = mocks.one("aws:lambda/function:Function").inputs.environment.variables;
      assert.deepEqual(
        [env.MODEL_BUCKET, env.MODEL_KEY, env.MODEL_SHA256],
        [deployed.MODEL_BUCKET, deployed.MODEL_KEY, deployed.MODEL_SHA256],
      );
    });
  });
});
