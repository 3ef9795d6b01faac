import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { packageRoot } from "../../components/paths.js";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";
import { irisStack, modelDirFor, type StackOutputs } from "../../stacks/program.js";
import {
  FIXTURE_HANDLER,
  FIXTURE_IMAGE_CONTEXT,
  type Recorder,
  type Registered,
  settle,
  tempDir,
  useMocks,
  value,
} from "./harness.js";

const ROOT = packageRoot();
const execFileAsync = promisify(execFile);

/** Test config: the fixture handler and image context stand in for the real ones. */
const base = {
  "iris-mlops:model": { trees: 10, folds: 2 },
  "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER },
  // capture is on by default, and with it the DriftMonitor, which bundles its handler too
  "iris-mlops:monitor": { handlerEntry: FIXTURE_HANDLER },
  "iris-mlops:image": { context: FIXTURE_IMAGE_CONTEXT },
};

const SAGEMAKER_TYPES = [
  "aws:sagemaker/model:Model",
  "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
  "aws-native:sagemaker:Endpoint",
  "pulumi-nodejs:dynamic:InstanceTypeGuard",
  "aws:ecr/repository:Repository",
  "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  "docker-build:index:Image",
  "aws:appautoscaling/target:Target",
  "aws:appautoscaling/policy:Policy",
  "iris-mlops:index:TrainingImage",
  "iris-mlops:index:SageMakerEndpoint",
];

describe("the iris-mlops stack", () => {
  let build: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    build = await tempDir("stack");
  });
  after(async () => {
    await build.remove();
  });

  /** Run the program under mocks with this configuration, the way the CLI would. */
  async function run(config: Record<string, unknown>, stack = "test") {
    const mocks = await useMocks(config, stack);
    const outputs = await irisStack(undefined, { buildRoot: build.dir });
    await settle(
      mocks,
      [outputs.apiUrl, outputs.modelS3Uri, outputs.imageUri, outputs.endpointName].filter(
        (o): o is pulumi.Output<string> => o !== undefined,
      ),
    );
    return { mocks, outputs };
  }

  describe("with SageMaker off (the default)", () => {
    let mocks: Recorder;
    let outputs: StackOutputs;
    before(async () => {
      ({ mocks, outputs } = await run(base));
    });

    it("creates the model bucket and the Lambda API, and nothing for SageMaker", () => {
      const types = mocks.types();
      assert.ok(types.includes("iris-mlops:index:ModelBucket"));
      assert.ok(types.includes("iris-mlops:index:LambdaInferenceApi"));
      for (const type of SAGEMAKER_TYPES) assert.ok(!types.includes(type), type);
    });

    it("exports the API URL and the model's S3 URI, and no image or endpoint", async () => {
      assert.match(await value(outputs.apiUrl), /^https:\/\/api[0-9a-f]+\.execute-api\./);
      assert.match(
        await value(outputs.modelS3Uri),
        /^s3:\/\/iris-mlops-test-models-[0-9a-f]+\/models\/[0-9a-f]{16}\/model\.tar\.gz$/,
      );
      assert.equal(outputs.imageUri, undefined);
      assert.equal(outputs.endpointName, undefined);
    });

    it("trains into .pulumi-build/<stack>/model and uploads that model", async () => {
      const tarball = join(modelDirFor(build.dir, "test"), "model.tar.gz");
      const manifest = JSON.parse(
        await readFile(join(modelDirFor(build.dir, "test"), "manifest.json"), "utf8"),
      );
      assert.equal(manifest.hyperparameters.trees, 10);
      const object = mocks.one("aws:s3/bucketObjectv2:BucketObjectv2", "models-model").inputs;
      assert.equal(resolve(await object.source.path), tarball);
      assert.equal(object.key, `models/${manifest.model_version}/model.tar.gz`);
      assert.equal(await value(outputs.modelVersion), manifest.model_version);
    });

    it("wires the Lambda to the bucket's outputs: bucket, key and sha256", () => {
      const env = mocks.one("aws:lambda/function:Function", "api-function").inputs.environment
        .variables;
      const object = mocks.one("aws:s3/bucketObjectv2:BucketObjectv2", "models-model").inputs;
      assert.equal(
        env.MODEL_BUCKET,
        mocks.one("aws:s3/bucket:Bucket", "models-bucket").state.bucket,
      );
      assert.equal(env.MODEL_KEY, object.key);
      assert.equal(env.MODEL_SHA256, object.metadata.sha256);
    });

    it("rolls new versions out as a canary by default, and exports the version and where its rollout ended", async () => {
      const fn = mocks.one("aws:lambda/function:Function", "api-function").state;
      assert.deepEqual(
        mocks.one("aws:codedeploy/deploymentConfig:DeploymentConfig").inputs.trafficRoutingConfig,
        { type: "TimeBasedCanary", timeBasedCanary: { percentage: 10, interval: 10 } },
      );
      assert.equal(
        mocks.one("pulumi-nodejs:dynamic:LambdaDeployment").inputs.targetVersion,
        fn.version,
      );
      assert.equal(await value(outputs.functionVersion), fn.version);
      assert.equal(await value(outputs.rolloutStatus), "Unchanged");
      // the dashboard graphs the versions the alias serves
      const body = mocks.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody as string;
      assert.ok(body.includes(`Resource=\\"${fn.name}:live\\"`), "per-version graphs");
      // and, capture being on by default, the DriftMonitor's graphs and its alarms
      const widgets = JSON.parse(body).widgets as {
        properties: { title?: string; alarms?: string[] };
      }[];
      const titles = widgets.map((w) => w.properties.title);
      assert.ok(titles.includes("Drift verdict (0 ok, 1 warn, 2 drift)"), "drift widgets");
      const drift = mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", "monitor-drift-alarm");
      assert.ok(widgets.at(-1)?.properties.alarms?.includes(drift.state.arn), "drift alarm");
    });

    it("applies the defaults: 512 MB arm64, burst 100 / rate 50, 14-day logs", () => {
      const fn = mocks.one("aws:lambda/function:Function", "api-function").inputs;
      assert.equal(fn.memorySize, 512);
      assert.deepEqual(fn.architectures, ["arm64"]);
      assert.deepEqual(mocks.one("aws:apigatewayv2/stage:Stage").inputs.defaultRouteSettings, {
        throttlingBurstLimit: 100,
        throttlingRateLimit: 50,
      });
      for (const group of mocks.all("aws:cloudwatch/logGroup:LogGroup"))
        assert.equal(group.inputs.retentionInDays, 14);
    });
  });

  describe("with serverless SageMaker", () => {
    let mocks: Recorder;
    let outputs: StackOutputs;
    before(async () => {
      ({ mocks, outputs } = await run({
        ...base,
        "iris-mlops:sagemaker": { enabled: true, memoryMb: 3072, maxConcurrency: 8 },
      }));
    });

    it("builds the image and serves it from a serverless endpoint, without autoscaling", () => {
      const config = mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration");
      assert.deepEqual(config.inputs.productionVariants[0].serverlessConfig, {
        memorySizeInMb: 3072,
        maxConcurrency: 8,
      });
      assert.equal(mocks.all("aws:appautoscaling/target:Target").length, 0);
      assert.equal(mocks.all("aws:appautoscaling/policy:Policy").length, 0);
      assert.equal(mocks.all("docker-build:index:Image").length, 1);
    });

    it("runs the pushed image by digest, with the uploaded model", async () => {
      const container = mocks.one("aws:sagemaker/model:Model").inputs.primaryContainer;
      const imageUri = await value(outputs.imageUri as pulumi.Output<string>);
      // the repository is auto-named (mocks: <logical name>-<hex>), so a replacement cannot collide
      assert.match(imageUri, /\.dkr\.ecr\..+\/image-repo-[0-9a-f]+@sha256:[0-9a-f]{64}$/);
      assert.equal(container.image, imageUri);
      assert.equal(imageUri.split("@")[1], mocks.one("docker-build:index:Image").state.digest);
      assert.equal(container.modelDataUrl, await value(outputs.modelS3Uri));
    });

    it("pins the container to the uploaded model: MODEL_MANIFEST_SHA256 is its manifest's sha256", async () => {
      const { environment } = mocks.one("aws:sagemaker/model:Model").inputs.primaryContainer;
      const manifest = await readFile(join(modelDirFor(build.dir, "test"), "manifest.json"));
      assert.deepEqual(environment, {
        MODEL_MANIFEST_SHA256: createHash("sha256").update(manifest).digest("hex"),
        // capture is on by default (capture.sample 0.1): a serverless container logs it
        CAPTURE_LOG: "1",
        CAPTURE_SAMPLE: "0.1",
      });
    });

    it("scopes the SageMaker role to the bucket's models and the image's repository", async () => {
      const policies = mocks.all("aws:iam/rolePolicy:RolePolicy", "sagemaker-policy");
      const statements = JSON.parse(policies[0]?.inputs.policy).Statement as {
        Sid: string;
        Resource: unknown;
      }[];
      const bucket = mocks.one("aws:s3/bucket:Bucket", "models-bucket").state.bucket;
      assert.equal(
        statements.find((s) => s.Sid === "ReadModel")?.Resource,
        `arn:aws:s3:::${bucket}/models/*`,
      );
      assert.equal(
        statements.find((s) => s.Sid === "PullImage")?.Resource,
        mocks.one("aws:ecr/repository:Repository").state.arn,
      );
    });

    it("exports the endpoint's name", async () => {
      assert.equal(
        await value(outputs.endpointName as pulumi.Output<string>),
        "iris-mlops-test-sagemaker",
      );
    });
  });

  describe("with SageMaker on instances", () => {
    let mocks: Recorder;
    before(async () => {
      ({ mocks } = await run({
        ...base,
        "iris-mlops:sagemaker": {
          enabled: true,
          mode: "instances",
          instanceType: "ml.c5.xlarge",
          instanceCount: 2,
          minInstances: 2,
          maxInstances: 5,
          targetInvocations: 300,
        },
      }));
    });

    it("uses the configured instances and registers autoscaling with target tracking", () => {
      const variant = mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").inputs
        .productionVariants[0];
      assert.equal(variant.instanceType, "ml.c5.xlarge");
      assert.equal(variant.initialInstanceCount, 2);
      assert.equal(variant.serverlessConfig, undefined);
      const target = mocks.one("aws:appautoscaling/target:Target").inputs;
      assert.equal(target.minCapacity, 2);
      assert.equal(target.maxCapacity, 5);
      assert.equal(target.resourceId, "endpoint/iris-mlops-test-sagemaker/variant/AllTraffic");
      const policy = mocks.one("aws:appautoscaling/policy:Policy").inputs;
      assert.equal(policy.targetTrackingScalingPolicyConfiguration.targetValue, 300);
      assert.equal(
        policy.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification
          .predefinedMetricType,
        "SageMakerVariantInvocationsPerInstance",
      );
    });
  });

  describe("run twice with the same code and configuration", () => {
    // by type and name: Pulumi diffs by URN, and the order in which independent resources
    // register depends on which of their inputs resolves first
    const comparable = (resources: Registered[]) =>
      JSON.stringify(
        resources
          .filter((r) => r.custom)
          .map((r) => [r.type, r.name, r.inputs])
          .sort((x, y) => `${x[0]} ${x[1]}`.localeCompare(`${y[0]} ${y[1]}`)),
        (_key, v) =>
          v instanceof pulumi.asset.Asset || v instanceof pulumi.asset.Archive ? "<asset>" : v,
      );

    it("registers identical inputs, the same S3 key and the same bundle hash, and leaves the model file alone", async () => {
      const config = { ...base, "iris-mlops:sagemaker": { enabled: true } };
      const first = await run(config, "twice");
      // the rollout's resources are among those compared: an unchanged program starts no rollout
      const types = first.mocks.types();
      for (const type of [
        "aws:lambda/alias:Alias",
        "aws:codedeploy/deploymentGroup:DeploymentGroup",
        "aws:codedeploy/deploymentConfig:DeploymentConfig",
        "pulumi-nodejs:dynamic:LambdaDeployment",
      ]) {
        assert.ok(types.includes(type), type);
      }
      const tarball = join(modelDirFor(build.dir, "twice"), "model.tar.gz");
      const before = await stat(tarball);
      const second = await run(config, "twice");
      const after = await stat(tarball);
      assert.equal(after.mtimeMs, before.mtimeMs, "an identical model is reused, not rewritten");
      assert.equal(comparable(second.mocks.resources), comparable(first.mocks.resources));
      const key = (m: Recorder) =>
        m.one("aws:s3/bucketObjectv2:BucketObjectv2", "models-model").inputs.key;
      assert.equal(key(second.mocks), key(first.mocks));
      // both bundles: the API's and, capture being on by default, the DriftMonitor's
      for (const fn of ["api-function", "monitor-function"]) {
        const hash = (m: Recorder) =>
          m.one("aws:lambda/function:Function", fn).inputs.sourceCodeHash;
        assert.equal(hash(second.mocks), hash(first.mocks), fn);
        assert.match(hash(first.mocks), /^[A-Za-z0-9+/]{43}=$/, fn);
      }
      assert.equal(
        second.mocks.one("docker-build:index:Image").inputs.tags[0],
        first.mocks.one("docker-build:index:Image").inputs.tags[0],
      );
    });

    it("rolls a hyper-parameter change out under a new key and model version", async () => {
      const a = await run(
        { ...base, "iris-mlops:model": { trees: 10, folds: 2, seed: 1 } },
        "roll",
      );
      const b = await run(
        { ...base, "iris-mlops:model": { trees: 10, folds: 2, seed: 2 } },
        "roll",
      );
      const keyA = await value(a.outputs.modelS3Uri);
      const keyB = await value(b.outputs.modelS3Uri);
      assert.notEqual(keyB, keyA);
      assert.notEqual(await value(b.outputs.modelVersion), await value(a.outputs.modelVersion));
      const env = b.mocks.one("aws:lambda/function:Function", "api-function").inputs.environment
        .variables;
      assert.ok(keyB.endsWith(env.MODEL_KEY));
    });
  });

  it("uses a pinned modelPath as it is, without training", async () => {
    const trained = await run(base, "pin-source");
    const pinned = join(modelDirFor(build.dir, "pin-source"), "model.tar.gz");
    const { mocks, outputs } = await run({ ...base, "iris-mlops:modelPath": pinned }, "pinned");
    await assert.rejects(stat(modelDirFor(build.dir, "pinned")), "nothing trained");
    assert.equal(
      resolve(
        await mocks.one("aws:s3/bucketObjectv2:BucketObjectv2", "models-model").inputs.source.path,
      ),
      pinned,
    );
    assert.equal(await value(outputs.modelVersion), await value(trained.outputs.modelVersion));
  });

  describe("configuration checks", () => {
    const problem = (config: Record<string, unknown>, pattern: RegExp) =>
      assert.throws(
        () =>
          parseStackConfig(
            Object.fromEntries(
              Object.entries(config).map(([k, v]) => [
                k,
                typeof v === "string" ? v : JSON.stringify(v),
              ]),
            ),
          ),
        (e: Error) => e instanceof ConfigError && pattern.test(e.message),
      );

    it("fills in every default from an empty configuration", () => {
      const config = parseStackConfig({});
      assert.equal(config.sagemaker.enabled, false);
      assert.equal(config.sagemaker.mode, "serverless");
      assert.equal(config.sagemaker.memoryMb, 2048);
      assert.equal(config.sagemaker.maxConcurrency, 5);
      assert.equal(config.api.memoryMb, 512);
      assert.equal(config.api.throttleBurst, 100);
      assert.equal(config.api.throttleRate, 50);
      assert.equal(config.logRetentionDays, 14);
      assert.equal(config.model.trees, 50);
      assert.equal(config.model.seed, 42);
      assert.deepEqual(config.api.rollout, { type: "canary", percentage: 10, intervalMinutes: 10 });
    });

    it("reads api.rollout, with strings from --path, and hands it to the Lambda API", async () => {
      const config = parseStackConfig({
        "iris-mlops:api": JSON.stringify({
          rollout: { type: "linear", percentage: "20", intervalMinutes: "3" },
        }),
      });
      assert.deepEqual(config.api.rollout, { type: "linear", percentage: 20, intervalMinutes: 3 });
      const { mocks } = await run(
        {
          ...base,
          "iris-mlops:api": {
            ...base["iris-mlops:api"],
            rollout: { type: "linear", percentage: 20, intervalMinutes: 3 },
          },
        },
        "linear",
      );
      const routing = mocks.one("aws:codedeploy/deploymentConfig:DeploymentConfig").inputs;
      assert.equal(routing.deploymentConfigName, "iris-mlops-linear-api-linear-20pct-3min");
      assert.deepEqual(routing.trafficRoutingConfig.timeBasedLinear, {
        percentage: 20,
        interval: 3,
      });
    });

    it("refuses a bad api.rollout, naming the key and what to fix", () => {
      const rollout = (value: unknown) => ({ "iris-mlops:api": { rollout: value } });
      problem(rollout({ type: "blue-green" }), /iris-mlops:api\.rollout\.type: /);
      problem(rollout({ percentage: 0 }), /iris-mlops:api\.rollout\.percentage: /);
      problem(rollout({ percentage: 100 }), /iris-mlops:api\.rollout\.percentage: /);
      problem(rollout({ intervalMinutes: "ten" }), /iris-mlops:api\.rollout\.intervalMinutes: /);
      problem(rollout({ intervalMinutes: 2881 }), /iris-mlops:api\.rollout\.intervalMinutes: /);
      problem(rollout({ percent: 10 }), /iris-mlops:api\.rollout: .*percent/i);
      problem(rollout("canary"), /iris-mlops:api\.rollout: /);
      problem(
        rollout({ type: "linear", percentage: 1, intervalMinutes: 60 }),
        /iris-mlops:api\.rollout\.intervalMinutes: a linear rollout of 1% every 60 minutes shifts traffic for 5940 minutes, over CodeDeploy's limit of 2880 \(48 hours\): raise the percentage or shorten the interval/,
      );
    });

    it("reads scalars the CLI passes as strings", () => {
      const config = parseStackConfig({
        "iris-mlops:logRetentionDays": "30",
        "iris-mlops:modelPath": "artifacts/model.tar.gz",
        "aws:region": "eu-west-1",
      });
      assert.equal(config.logRetentionDays, 30);
      assert.equal(config.modelPath, "artifacts/model.tar.gz");
    });

    it("reads nested scalars stored as strings by `pulumi config set --path`", () => {
      const config = parseStackConfig({
        "iris-mlops:sagemaker": JSON.stringify({
          enabled: "true",
          mode: "instances",
          maxInstances: "4",
        }),
        "iris-mlops:bucket": JSON.stringify({ forceDestroy: "false" }),
        "iris-mlops:model": JSON.stringify({ trees: "20", gainThreshold: "0.05" }),
      });
      assert.equal(config.sagemaker.enabled, true);
      assert.equal(config.sagemaker.maxInstances, 4);
      assert.equal(config.bucket.forceDestroy, false);
      assert.equal(config.model.trees, 20);
      assert.equal(config.model.gainThreshold, 0.05);
      problem({ "iris-mlops:sagemaker": { enabled: "yes" } }, /sagemaker\.enabled/);
    });

    it("names an unknown key and lists the known ones", () => {
      problem(
        { "iris-mlops:sagemkaer": { enabled: true } },
        /unknown config key iris-mlops:sagemkaer; known keys: .*iris-mlops:sagemaker/,
      );
      problem({ "iris-mlops:sagemaker": { enabeld: true } }, /iris-mlops:sagemaker: .*enabeld/i);
    });

    it("names the key and the rule for wrong types and ranges", () => {
      problem({ "iris-mlops:sagemaker": { enabled: "yes" } }, /iris-mlops:sagemaker\.enabled: /);
      problem({ "iris-mlops:sagemaker": { mode: "spot" } }, /iris-mlops:sagemaker\.mode: /);
      problem(
        { "iris-mlops:sagemaker": { memoryMb: 1500 } },
        /iris-mlops:sagemaker\.memoryMb: must be 1024 to 6144 in steps of 1024/,
      );
      problem(
        { "iris-mlops:sagemaker": { minInstances: 4, maxInstances: 2 } },
        /iris-mlops:sagemaker\.minInstances: minInstances must not exceed maxInstances/,
      );
      problem(
        { "iris-mlops:sagemaker": { instanceType: "m5.large" } },
        /iris-mlops:sagemaker\.instanceType: must look like ml\.m5\.large/,
      );
      problem({ "iris-mlops:api": { memoryMb: 64 } }, /iris-mlops:api\.memoryMb: /);
      problem(
        { "iris-mlops:api": { corsOrigins: ["not a url"] } },
        /iris-mlops:api\.corsOrigins\.0: /,
      );
      problem(
        { "iris-mlops:logRetentionDays": "10" },
        /iris-mlops:logRetentionDays: must be one of 1, 3, 5, 7, 14/,
      );
      problem({ "iris-mlops:model": { trees: 0 } }, /iris-mlops:model\.trees: /);
      problem(
        { "iris-mlops:image": { tag: "latest tag" } },
        /iris-mlops:image\.tag: must be a valid image tag/,
      );
      problem({ "iris-mlops:model": { maxFeatures: 7 } }, /iris-mlops:model: maxFeatures must be/);
    });

    it("reports every problem at once", () => {
      problem(
        { "iris-mlops:api": { memoryMb: 64, timeoutSeconds: 0 } },
        /api\.memoryMb[\s\S]*api\.timeoutSeconds/,
      );
    });

    it("stops the program before any resource is created", async () => {
      const mocks = await useMocks({ ...base, "iris-mlops:api": { memoryMb: 64 } });
      await assert.rejects(irisStack(undefined, { buildRoot: build.dir }), ConfigError);
      assert.equal(mocks.resources.length, 0);
    });
  });

  describe("the committed project and stack files", () => {
    const stackConfig = async (stack: string) => {
      const doc = parse(await readFile(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
      };
      return parseStackConfig(
        Object.fromEntries(
          Object.entries(doc.config).map(([k, v]) => [
            k,
            typeof v === "string" ? v : JSON.stringify(v),
          ]),
        ),
      );
    };

    it("Pulumi.yaml runs stacks/index.ts on Node.js with TypeScript", async () => {
      const project = parse(await readFile(join(ROOT, "Pulumi.yaml"), "utf8"));
      assert.equal(project.name, "iris-mlops");
      assert.equal(project.runtime.name, "nodejs");
      assert.equal(project.main, "stacks/index.ts");
      await stat(join(ROOT, project.main));
      const entry = await import("../../stacks/index.js");
      const exported = (entry as { default?: unknown }).default ?? entry;
      assert.equal(typeof exported, "function", "Pulumi calls the exported function");
    });

    it("ts-node, registered the way Pulumi registers it, loads stacks/index.ts", async () => {
      // Pulumi's Node.js host runs the program through ts-node in CommonJS mode; the sources
      // import `./x.js` (NodeNext), which only resolves to x.ts with tsconfig's
      // "ts-node": { "experimentalResolver": true }. Types are checked by `tsc --noEmit`.
      const script = `
        require("ts-node").register({
          project: "tsconfig.json",
          transpileOnly: true,
          compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext" },
        });
        process.stdout.write(typeof require("./stacks/index.ts"));`;
      const { stdout } = await execFileAsync(process.execPath, ["-e", script], {
        cwd: ROOT,
        timeout: 45000,
      });
      assert.equal(stdout, "function");
    });

    it("dev keeps SageMaker off and shifts new versions all at once", async () => {
      const dev = await stackConfig("dev");
      assert.equal(dev.sagemaker.enabled, false);
      assert.equal(dev.api.rollout.type, "all-at-once");
    });

    it("prod rolls new versions out as a canary of 10% for 10 minutes", async () => {
      const prod = await stackConfig("prod");
      assert.deepEqual(prod.api.rollout, { type: "canary", percentage: 10, intervalMinutes: 10 });
    });

    it("prod runs SageMaker on autoscaled instances, throttles harder and keeps logs longer than dev", async () => {
      const [dev, prod] = [await stackConfig("dev"), await stackConfig("prod")];
      assert.equal(prod.sagemaker.enabled, true);
      assert.equal(prod.sagemaker.mode, "instances");
      assert.ok(prod.sagemaker.maxInstances > prod.sagemaker.minInstances);
      assert.ok(prod.api.throttleBurst < dev.api.throttleBurst);
      assert.ok(prod.api.throttleRate < dev.api.throttleRate);
      assert.ok(prod.logRetentionDays > dev.logRetentionDays);
      assert.equal(prod.bucket.forceDestroy, false);
    });
  });
});
