/**
 * Another Pulumi program using the package the way its users would: everything from the package
 * entry, composed differently from stacks/ (two APIs on one bucket, a grant for a third party).
 */
import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaInferenceApi, ModelBucket, SageMakerEndpoint, TrainingImage } from "../../index.js";
import {
  FIXTURE_HANDLER,
  policyOf,
  type Recorder,
  settle,
  tempDir,
  useMocks,
  value,
  writeTestModel,
} from "./harness.js";

/** The consumer's program: one model, a public and an internal API, and a reader role. */
function program(modelPath: string) {
  const models = new ModelBucket("shared-models", { modelPath, forceDestroy: true });
  const model = {
    modelBucketName: models.bucketName,
    modelKey: models.modelKey,
    modelSha256: models.modelSha256,
    handlerEntry: FIXTURE_HANDLER,
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
    const { tarball } = await writeTestModel(tmp.dir);
    mocks = await useMocks({}, "consumer");
    built = program(tarball);
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

  it("gives each function its own role, allowed the shared model and its own logs only", async () => {
    const objectArn = await value(built.models.modelObjectArn);
    for (const name of ["public", "internal"]) {
      const policy = mocks.one("aws:iam/rolePolicy:RolePolicy", `${name}-policy`);
      assert.equal(policy.inputs.role, mocks.one("aws:iam/role:Role", `${name}-role`).state.name);
      const logArn = mocks.one("aws:cloudwatch/logGroup:LogGroup", `${name}-logs`).state.arn;
      const [read, logs] = policyOf(policy).Statement;
      assert.equal(read?.Resource, objectArn);
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
