import { strict as assert } from "node:assert";
import fc from "fast-check";
import {
  instanceTypeChangeProblem,
  instanceTypeGuardProvider,
} from "../../components/instance-type-guard.js";
import {
  SageMakerEndpoint,
  type SageMakerEndpointArgs,
} from "../../components/sagemaker-endpoint.js";
import { ArgumentError } from "../../components/validate.js";
import { ACCOUNT, policyOf, REGION, type Recorder, settle, useMocks, value } from "./harness.js";

const REPOSITORY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/iris-mlops/prod/image`;
const DIGEST = `sha256:${"b".repeat(64)}`;
const ARGS: SageMakerEndpointArgs = {
  imageUri: `${REPOSITORY}@${DIGEST}`,
  repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/iris-mlops/prod/image`,
  modelBucketName: "models-bucket-1234567",
  modelKey: "models/0123456789abcdef/model.tar.gz",
  modelManifestSha256: "c".repeat(64),
};

async function build(args: Partial<SageMakerEndpointArgs> = {}) {
  const mocks = await useMocks({}, "prod");
  const sm = new SageMakerEndpoint("sagemaker", { ...ARGS, ...args });
  await settle(mocks, [
    sm.endpointName,
    sm.endpointArn,
    sm.endpointConfigName,
    ...(sm.scalingPolicy ? [sm.scalingPolicy.id] : []),
  ]);
  return { mocks, sm };
}

const SCALING_TYPES = ["aws:appautoscaling/target:Target", "aws:appautoscaling/policy:Policy"];

describe("SageMakerEndpoint", () => {
  describe("serverless (the default)", () => {
    let mocks: Recorder;
    let sm: SageMakerEndpoint;
    before(async () => {
      ({ mocks, sm } = await build());
    });

    it("registers as iris-mlops:index:SageMakerEndpoint with children named after it", () => {
      assert.equal(mocks.one("iris-mlops:index:SageMakerEndpoint").name, "sagemaker");
      for (const r of mocks.resources.filter((x) => x.custom)) assert.match(r.name, /^sagemaker-/);
    });

    it("runs the image by digest with the model from its S3 URI, pinned by its manifest's sha256", () => {
      const model = mocks.one("aws:sagemaker/model:Model").inputs;
      assert.deepEqual(model.primaryContainer, {
        image: `${REPOSITORY}@${DIGEST}`,
        modelDataUrl: `s3://${ARGS.modelBucketName}/${ARGS.modelKey}`,
        mode: "SingleModel",
        // the container refuses the unpacked model without it (sagemaker/serve.ts)
        environment: { MODEL_MANIFEST_SHA256: ARGS.modelManifestSha256 },
      });
      assert.equal(model.executionRoleArn, mocks.one("aws:iam/role:Role").state.arn);
    });

    it("trusts only SageMaker to assume its role, with no managed policies", () => {
      const role = mocks.one("aws:iam/role:Role").inputs;
      assert.deepEqual(JSON.parse(role.assumeRolePolicy).Statement, [
        {
          Effect: "Allow",
          Principal: { Service: "sagemaker.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]);
      assert.equal(role.managedPolicyArns, undefined);
      assert.equal(mocks.all("aws:iam/rolePolicyAttachment:RolePolicyAttachment").length, 0);
    });

    it("lets the role read the bucket's models (models/*), pull from the repository and log to its own group only", () => {
      const logGroup = mocks.one("aws:cloudwatch/logGroup:LogGroup");
      assert.equal(logGroup.inputs.name, "/aws/sagemaker/Endpoints/iris-mlops-prod-sagemaker");
      assert.equal(logGroup.inputs.retentionInDays, 14);
      const logArn = logGroup.state.arn as string;
      const policy = mocks.one("aws:iam/rolePolicy:RolePolicy");
      assert.equal(policy.inputs.role, mocks.one("aws:iam/role:Role").state.name);
      assert.deepEqual(policyOf(policy).Statement, [
        {
          Sid: "ReadModel",
          Effect: "Allow",
          Action: "s3:GetObject",
          Resource: `arn:aws:s3:::${ARGS.modelBucketName}/models/*`,
        },
        {
          Sid: "PullImage",
          Effect: "Allow",
          Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Resource: ARGS.repositoryArn,
        },
        {
          Sid: "RegistryToken",
          Effect: "Allow",
          Action: "ecr:GetAuthorizationToken",
          Resource: "*",
        },
        {
          Sid: "WriteEndpointLogs",
          Effect: "Allow",
          Action: [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
          ],
          Resource: [
            `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/sagemaker/Endpoints/iris-mlops-prod-sagemaker`,
            `${logArn}:*`,
          ],
        },
        {
          Sid: "PutEndpointMetrics",
          Effect: "Allow",
          Action: "cloudwatch:PutMetricData",
          Resource: "*",
          Condition: { StringEquals: { "cloudwatch:namespace": "/aws/sagemaker/Endpoints" } },
        },
      ]);
    });

    it("serves from an auto-named serverless configuration (2048 MB, 5 concurrent)", () => {
      const config = mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration");
      assert.equal(config.inputs.name, undefined, "auto-named, so every replacement is renamed");
      assert.deepEqual(config.inputs.productionVariants, [
        {
          variantName: "AllTraffic",
          modelName: mocks.one("aws:sagemaker/model:Model").state.name,
          serverlessConfig: { memorySizeInMb: 2048, maxConcurrency: 5 },
        },
      ]);
      assert.equal(mocks.all("aws:sagemaker/model:Model")[0]?.inputs.name, undefined);
    });

    it("points a stably named endpoint at the configuration, without autoscaling", async () => {
      const endpoint = mocks.one("aws-native:sagemaker:Endpoint").inputs;
      assert.equal(endpoint.endpointName, "iris-mlops-prod-sagemaker");
      // serverless variants have no instance count to keep
      assert.equal(endpoint.retainAllVariantProperties, false);
      assert.equal(
        endpoint.endpointConfigName,
        mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").state.name,
      );
      for (const type of SCALING_TYPES) assert.equal(mocks.all(type).length, 0, type);
      assert.equal(await value(sm.endpointName), "iris-mlops-prod-sagemaker");
      assert.equal(
        await value(sm.endpointArn),
        `arn:aws:sagemaker:${REGION}:${ACCOUNT}:endpoint/iris-mlops-prod-sagemaker`,
      );
    });
  });

  describe("on instances", () => {
    let mocks: Recorder;
    before(async () => {
      ({ mocks } = await build({
        serverless: false,
        instanceType: "ml.c5.large",
        initialInstanceCount: 2,
        minInstanceCount: 2,
        maxInstanceCount: 4,
        targetInvocationsPerInstance: 250,
      }));
    });

    it("uses the instance type and count instead of a serverless config", () => {
      const config = mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration");
      assert.deepEqual(config.inputs.productionVariants, [
        {
          variantName: "AllTraffic",
          modelName: mocks.one("aws:sagemaker/model:Model").state.name,
          instanceType: "ml.c5.large",
          initialInstanceCount: 2,
          initialVariantWeight: 1,
        },
      ]);
    });

    it("registers the variant's instance count with Application Auto Scaling", () => {
      const target = mocks.one("aws:appautoscaling/target:Target").inputs;
      assert.deepEqual(
        {
          serviceNamespace: target.serviceNamespace,
          resourceId: target.resourceId,
          scalableDimension: target.scalableDimension,
          minCapacity: target.minCapacity,
          maxCapacity: target.maxCapacity,
        },
        {
          serviceNamespace: "sagemaker",
          resourceId: "endpoint/iris-mlops-prod-sagemaker/variant/AllTraffic",
          scalableDimension: "sagemaker:variant:DesiredInstanceCount",
          minCapacity: 2,
          maxCapacity: 4,
        },
      );
    });

    it("keeps the variant's instance count across rollouts instead of resetting it to 1", () => {
      // without RetainAllVariantProperties, UpdateEndpoint to a new configuration sets the
      // variant to its initialInstanceCount, undoing what autoscaling scaled out to
      const endpoint = mocks.one("aws-native:sagemaker:Endpoint").inputs;
      assert.equal(endpoint.retainAllVariantProperties, true);
      assert.equal(endpoint.excludeRetainedVariantProperties, undefined);
      assert.equal(
        endpoint.endpointConfigName,
        mocks.one("aws:sagemaker/endpointConfiguration:EndpointConfiguration").state.name,
      );
    });

    it("guards the instance type while autoscaling is registered", () => {
      const guard = mocks.one(
        "pulumi-nodejs:dynamic:InstanceTypeGuard",
        "sagemaker-instance-type-guard",
      );
      assert.equal(guard.inputs.instanceType, "ml.c5.large");
      assert.equal(guard.inputs.autoscaling, true);
    });

    it("tracks invocations per instance", () => {
      const policy = mocks.one("aws:appautoscaling/policy:Policy").inputs;
      assert.equal(policy.policyType, "TargetTrackingScaling");
      assert.equal(policy.resourceId, "endpoint/iris-mlops-prod-sagemaker/variant/AllTraffic");
      assert.equal(policy.scalableDimension, "sagemaker:variant:DesiredInstanceCount");
      assert.equal(policy.serviceNamespace, "sagemaker");
      assert.deepEqual(policy.targetTrackingScalingPolicyConfiguration, {
        predefinedMetricSpecification: {
          predefinedMetricType: "SageMakerVariantInvocationsPerInstance",
        },
        targetValue: 250,
        scaleInCooldown: 300,
        scaleOutCooldown: 60,
      });
    });
  });

  it("without autoscaling registers no scalable target, and tells the guard", async () => {
    const { mocks } = await build({ serverless: false, autoscaling: false });
    for (const type of SCALING_TYPES) assert.equal(mocks.all(type).length, 0, type);
    const guard = mocks.one(
      "pulumi-nodejs:dynamic:InstanceTypeGuard",
      "sagemaker-instance-type-guard",
    );
    assert.equal(guard.inputs.autoscaling, false);
    assert.equal(
      mocks.one("aws-native:sagemaker:Endpoint").inputs.retainAllVariantProperties,
      true,
    );
  });

  describe("the instance type guard", () => {
    const instanceType = fc.constantFrom("ml.m5.large", "ml.m5.xlarge", "ml.c5.large");
    it("refuses exactly a type change while autoscaling was registered", () => {
      fc.assert(
        fc.property(
          fc.record({ instanceType, autoscaling: fc.boolean() }, { requiredKeys: [] }),
          fc.record({ instanceType, autoscaling: fc.boolean() }),
          (olds, news) => {
            const refused =
              olds.autoscaling === true &&
              olds.instanceType !== undefined &&
              olds.instanceType !== news.instanceType;
            assert.equal(instanceTypeChangeProblem(olds, news) !== undefined, refused);
          },
        ),
      );
    });

    it("fails the provider's check (so preview stops) with the two-step procedure", async () => {
      const check = instanceTypeGuardProvider.check;
      assert.ok(check);
      const olds = { instanceType: "ml.m5.large", autoscaling: true };
      const refused = await check(olds, { instanceType: "ml.m5.xlarge", autoscaling: false });
      assert.equal(refused.failures?.length, 1);
      assert.equal(refused.failures?.[0]?.property, "instanceType");
      assert.match(
        refused.failures?.[0]?.reason ?? "",
        /from ml\.m5\.large to ml\.m5\.xlarge.*two steps.*autoscaling false/,
      );
      const allowed = await check(
        { instanceType: "ml.m5.large", autoscaling: false },
        { instanceType: "ml.m5.xlarge", autoscaling: true },
      );
      assert.deepEqual(allowed.failures, []);
      // the first deployment has no old inputs
      assert.deepEqual((await check({}, olds)).failures, []);
    });
  });

  it("rolls a new image out as a new model and configuration under the same endpoint", async () => {
    const first = await build();
    const model1 = first.mocks.one("aws:sagemaker/model:Model").state.name;
    const config1 = await value(first.sm.endpointConfigName);
    const second = await build({ imageUri: `${REPOSITORY}@sha256:${"c".repeat(64)}` });
    const model2 = second.mocks.one("aws:sagemaker/model:Model").state.name;
    const config2 = await value(second.sm.endpointConfigName);
    assert.notEqual(model2, model1);
    assert.notEqual(config2, config1);
    const endpoint = second.mocks.one("aws-native:sagemaker:Endpoint").inputs;
    assert.equal(endpoint.endpointName, "iris-mlops-prod-sagemaker");
    assert.equal(endpoint.endpointConfigName, config2);
  });

  it("adds kms:Decrypt on the model bucket's key only when there is one", async () => {
    const key = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
    const { mocks } = await build({ modelKmsKeyArn: key });
    const statements = policyOf(mocks.one("aws:iam/rolePolicy:RolePolicy")).Statement;
    assert.deepEqual(
      statements.find((s) => s.Sid === "DecryptModel"),
      { Sid: "DecryptModel", Effect: "Allow", Action: "kms:Decrypt", Resource: key },
    );
  });

  it("refuses an image referenced by tag, a malformed manifest pin and out-of-range sizes", async () => {
    await useMocks();
    assert.throws(
      () => new SageMakerEndpoint("bad", { ...ARGS, imageUri: `${REPOSITORY}:latest` }),
      (e: Error) => e instanceof ArgumentError && /by digest/.test(e.message),
    );
    for (const pin of ["", "c".repeat(63), "C".repeat(64), `sha256:${"c".repeat(64)}`]) {
      assert.throws(
        () => new SageMakerEndpoint("bad", { ...ARGS, modelManifestSha256: pin }),
        (e: Error) =>
          e instanceof ArgumentError &&
          /modelManifestSha256 must be the sha256 of the model's manifest\.json \(64 lower-case hex/.test(
            e.message,
          ),
      );
    }
    assert.throws(
      () => new SageMakerEndpoint("bad", { ...ARGS, memorySizeInMb: 1500 }),
      /memorySizeInMb must be one of 1024, 2048/,
    );
    assert.throws(
      () => new SageMakerEndpoint("bad", { ...ARGS, maxConcurrency: 500 }),
      /maxConcurrency must be an integer from 1 to 200/,
    );
    assert.throws(
      () =>
        new SageMakerEndpoint("bad", {
          ...ARGS,
          serverless: false,
          minInstanceCount: 3,
          maxInstanceCount: 2,
        }),
      /minInstanceCount \(3\) must not exceed maxInstanceCount \(2\)/,
    );
  });
});
