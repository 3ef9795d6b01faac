/**
 * Another Pulumi program using the package the way its users would: everything from the package
 * entry, composed differently from stacks/ (two APIs on one bucket, a grant for a third party),
 * with its own Lambda handler in its own project outside this repository (a temporary folder
 * with its own package.json and iris-mlops in its node_modules).
 */
import { strict as assert } from "node:assert";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { packageRoot } from "../../components/paths.js";
import { LambdaInferenceApi, ModelBucket, SageMakerEndpoint, TrainingImage } from "../../index.js";
import {
  policyOf,
  type Recorder,
  settle,
  tempDir,
  useMocks,
  value,
  writeTestModel,
} from "./harness.js";

const GREETING = "hello from the consumer's own handler";

/** The consumer's project: its own package.json, handler and node_modules/iris-mlops. */
async function consumerProject(dir: string): Promise<string> {
  await writeFile(
    join(dir, "package.json"),
    JSON.stringify({ name: "iris-consumer", private: true, dependencies: { "iris-mlops": "*" } }),
  );
  await mkdir(join(dir, "node_modules"));
  await symlink(packageRoot(), join(dir, "node_modules", "iris-mlops"), "dir");
  await mkdir(join(dir, "src"));
  await writeFile(
    join(dir, "src", "greeting.ts"),
    `export const greeting = ${JSON.stringify(GREETING)};\n`,
  );
  const handler = join(dir, "src", "handler.ts");
  await writeFile(
    handler,
    [
      'import { greeting } from "./greeting.js";',
      "export const handler = async () => ({ statusCode: 200, body: greeting });",
      "",
    ].join("\n"),
  );
  return handler;
}

/** The files of one function's code archive, as text. */
async function archiveFiles(mocks: Recorder, name: string): Promise<Record<string, string>> {
  const fn = mocks.one("aws:lambda/function:Function", `${name}-function`);
  const assets = (await (fn.inputs.code as pulumi.asset.AssetArchive).assets) as Record<
    string,
    pulumi.asset.StringAsset
  >;
  const files: Record<string, string> = {};
  for (const [file, asset] of Object.entries(assets)) files[file] = (await asset.text) as string;
  return files;
}

/** The consumer's program: one model, a public and an internal API, and a reader role. */
function program(modelPath: string, handlerEntry: string) {
  const models = new ModelBucket("shared-models", { modelPath, forceDestroy: true });
  const model = {
    modelBucketName: models.bucketName,
    modelKey: models.modelKey,
    modelSha256: models.modelSha256,
    handlerEntry,
  };
  const publicApi = new LambdaInferenceApi("public", {
    ...model,
    throttlingBurstLimit: 20,
    throttlingRateLimit: 10,
    corsAllowOrigins: ["https://iris.example.com"],
  });
  const internalApi = new LambdaInferenceApi("internal", {
    ...model,
    memorySize: 256,
    architecture: "x86_64",
    sourceMap: false,
  });
  const analysts = new aws.iam.Role("analysts", {
    assumeRolePolicy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::123456789012:root" },
          Action: "sts:AssumeRole",
        },
      ],
    }),
  });
  models.grantRead("analysts", analysts.name);
  return { models, publicApi, internalApi };
}

describe("a consumer program using the package entry", () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let mocks: Recorder;
  let built: ReturnType<typeof program>;

  before(async () => {
    tmp = await tempDir("consumer");
    const handler = await consumerProject(tmp.dir);
    const { tarball } = await writeTestModel(join(tmp.dir, "model"));
    mocks = await useMocks({}, "consumer");
    built = program(tarball, handler);
    await settle(mocks, [
      built.publicApi.apiUrl,
      built.internalApi.apiUrl,
      built.models.modelObjectArn,
    ]);
  });
  after(() => tmp.remove());

  it("gets all four components from the package entry", () => {
    for (const component of [ModelBucket, TrainingImage, LambdaInferenceApi, SageMakerEndpoint])
      assert.equal(typeof component, "function");
    assert.ok(built.models instanceof pulumi.ComponentResource);
  });

  it("bundles the consumer's own handler, with paths relative to the consumer's project", async () => {
    const publicFiles = await archiveFiles(mocks, "public");
    assert.ok(publicFiles["index.js"]?.includes(GREETING), "the handler's code is in the bundle");
    const map = JSON.parse(publicFiles["index.js.map"] ?? "{}") as { sources?: string[] };
    assert.deepEqual([...(map.sources ?? [])].sort(), [
      "../../src/greeting.ts",
      "../../src/handler.ts",
    ]);
    const internalFiles = await archiveFiles(mocks, "internal");
    assert.ok(internalFiles["index.js"]?.includes(GREETING));
    assert.equal(internalFiles["index.js.map"], undefined);
  });

  it("creates one bucket and two independent APIs", () => {
    assert.equal(mocks.all("aws:s3/bucket:Bucket").length, 1);
    assert.equal(mocks.all("aws:lambda/function:Function").length, 2);
    assert.equal(mocks.all("aws:apigatewayv2/api:Api").length, 2);
    assert.equal(mocks.all("aws:apigatewayv2/stage:Stage").length, 2);
    assert.equal(mocks.all("aws:cloudwatch/logGroup:LogGroup").length, 4);
    const names = mocks.resources.map((r) => r.name);
    assert.equal(new Set(names).size, names.length, "no two resources share a name");
  });

  it("points both functions at the same model", async () => {
    const key = await value(built.models.modelKey);
    const bucket = await value(built.models.bucketName);
    const sha = await value(built.models.modelSha256);
    for (const fn of mocks.all("aws:lambda/function:Function")) {
      const env = fn.inputs.environment.variables;
      assert.equal(env.MODEL_BUCKET, bucket);
      assert.equal(env.MODEL_KEY, key);
      assert.equal(env.MODEL_SHA256, sha);
    }
  });

  it("keeps each API's settings to itself", () => {
    const stage = (name: string) => mocks.one("aws:apigatewayv2/stage:Stage", `${name}-stage`);
    assert.deepEqual(stage("public").inputs.defaultRouteSettings, {
      throttlingBurstLimit: 20,
      throttlingRateLimit: 10,
    });
    assert.deepEqual(stage("internal").inputs.defaultRouteSettings, {
      throttlingBurstLimit: 100,
      throttlingRateLimit: 50,
    });
    const fn = (name: string) => mocks.one("aws:lambda/function:Function", `${name}-function`);
    assert.deepEqual(fn("internal").inputs.architectures, ["x86_64"]);
    assert.equal(fn("internal").inputs.memorySize, 256);
    assert.deepEqual(fn("public").inputs.architectures, ["arm64"]);
    const api = (name: string) => mocks.one("aws:apigatewayv2/api:Api", `${name}-api`);
    assert.deepEqual(api("public").inputs.corsConfiguration.allowOrigins, [
      "https://iris.example.com",
    ]);
    assert.equal(api("internal").inputs.corsConfiguration, undefined);
  });

  it("gives each function its own role, allowed the shared bucket's models and its own logs only", async () => {
    const modelsArn = `${await value(built.models.bucketArn)}/models/*`;
    for (const name of ["public", "internal"]) {
      const policy = mocks.one("aws:iam/rolePolicy:RolePolicy", `${name}-policy`);
      assert.equal(policy.inputs.role, mocks.one("aws:iam/role:Role", `${name}-role`).state.name);
      const logArn = mocks.one("aws:cloudwatch/logGroup:LogGroup", `${name}-logs`).state.arn;
      const [read, logs] = policyOf(policy).Statement;
      assert.equal(read?.Resource, modelsArn);
      assert.deepEqual(logs?.Resource, `${logArn}:*`);
    }
  });

  it("grants the analysts' role read access to exactly the model object", async () => {
    const grant = mocks.one("aws:iam/rolePolicy:RolePolicy", "shared-models-read-analysts");
    assert.equal(grant.inputs.role, mocks.one("aws:iam/role:Role", "analysts").state.name);
    assert.deepEqual(policyOf(grant).Statement, [
      {
        Sid: "ReadModel",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: await value(built.models.modelObjectArn),
      },
    ]);
  });
});
