/**
 * SageMakerEndpoint's rollouts under the mocks: the endpoint's deploymentConfig in each mode, the
 * modes refused for the capacity (as component arguments and as stack config), the alarms that
 * guard a bake, a changed alarm list as an in-place update, and the rollout check after the
 * endpoint.
 */
import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import {
  SageMakerEndpoint,
  type SageMakerEndpointArgs,
} from "../../components/sagemaker-endpoint.js";
import {
  checkEndpointRollout,
  deploymentConfigFor,
  endpointRolloutProblem,
  type RolloutCapacity,
  rolloutTimeoutSeconds,
  type SageMakerRollout,
} from "../../components/sagemaker-rollout.js";
import { ArgumentError } from "../../components/validate.js";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";
import { runStack, stackConfigFile } from "../helpers/iam-programs.js";
import { ACCOUNT, REGION, type Recorder, settle, useMocks, value } from "./harness.js";

const ENDPOINT = "aws-native:sagemaker:Endpoint";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const CHECK = "pulumi-nodejs:dynamic:EndpointRolloutCheck";
const ARGS: SageMakerEndpointArgs = {
  imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/image@sha256:${"b".repeat(64)}`,
  repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/image`,
  modelBucketName: "models-bucket-1234567",
  modelKey: "models/0123456789abcdef/model.tar.gz",
  modelManifestSha256: "c".repeat(64),
};
const INSTANCES: Partial<SageMakerEndpointArgs> = {
  serverless: false,
  initialInstanceCount: 2,
  minInstanceCount: 2,
  maxInstanceCount: 4,
};

/** Every resource's options as the component gave them (a transformation sees them all). */
type Seen = { type: string; name: string; opts: pulumi.CustomResourceOptions };

async function build(args: Partial<SageMakerEndpointArgs> = {}) {
  const mocks = await useMocks({}, "prod");
  const seen: Seen[] = [];
  const sm = new SageMakerEndpoint(
    "sagemaker",
    { ...ARGS, ...args },
    {
      transformations: [
        ({ type, name, opts }) => {
          seen.push({ type, name, opts });
          return undefined;
        },
      ],
    },
  );
  await settle(mocks, [sm.endpointName, sm.endpointConfigName, sm.rolloutCheck.id]);
  return { mocks, sm, seen };
}

const deploymentConfig = (mocks: Recorder) => mocks.one(ENDPOINT).inputs.deploymentConfig;
const alarmName = (mocks: Recorder, name: string) => mocks.one(ALARM, name).state.name as string;

describe("SageMakerEndpoint rollouts", () => {
  it("serverless (the default): all at once, a 10-minute bake, rollback on the 5xx and latency alarms", async () => {
    const { mocks } = await build();
    assert.deepEqual(deploymentConfig(mocks), {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: { type: "ALL_AT_ONCE", waitIntervalInSeconds: 600 },
        terminationWaitInSeconds: 0,
        // provisioning (30 min) and the bake
        maximumExecutionTimeoutInSeconds: 2400,
      },
      autoRollbackConfiguration: {
        alarms: [
          { alarmName: alarmName(mocks, "sagemaker-5xx-alarm") },
          { alarmName: alarmName(mocks, "sagemaker-latency-alarm") },
        ],
      },
    });
  });

  it("canary: the canary's instances, a bake for the canary and for the rest", async () => {
    const { mocks } = await build({
      ...INSTANCES,
      rollout: { type: "canary", instances: 1, intervalMinutes: 15, terminationWaitMinutes: 5 },
    });
    assert.deepEqual(deploymentConfig(mocks).blueGreenUpdatePolicy, {
      trafficRoutingConfiguration: {
        type: "CANARY",
        waitIntervalInSeconds: 900,
        canarySize: { type: "INSTANCE_COUNT", value: 1 },
      },
      terminationWaitInSeconds: 300,
      maximumExecutionTimeoutInSeconds: 1800 + 2 * 900 + 300,
    });
  });

  it("linear: steps of the given instances, one bake per step at the largest count", async () => {
    const { mocks } = await build({ ...INSTANCES, rollout: { type: "linear", instances: 1 } });
    assert.deepEqual(deploymentConfig(mocks).blueGreenUpdatePolicy, {
      trafficRoutingConfiguration: {
        type: "LINEAR",
        waitIntervalInSeconds: 600,
        linearStepSize: { type: "INSTANCE_COUNT", value: 1 },
      },
      terminationWaitInSeconds: 0,
      // up to 4 instances, one a step
      maximumExecutionTimeoutInSeconds: 1800 + 4 * 600,
    });
  });

  it("without alarms SageMaker still bakes, with nothing to roll back on", async () => {
    const { mocks } = await build({ alarms: false });
    const config = deploymentConfig(mocks);
    assert.equal(config.autoRollbackConfiguration, undefined);
    assert.equal(config.blueGreenUpdatePolicy.trafficRoutingConfiguration.type, "ALL_AT_ONCE");
  });

  it("the alarms that guard a bake use 60-second periods; the 4xx rate guards none and keeps 5 minutes", async () => {
    const { mocks } = await build();
    const errors = mocks.one(ALARM, "sagemaker-5xx-alarm").inputs;
    assert.equal(errors.period, 60);
    assert.equal(errors.threshold, 1);
    const latency = mocks.one(ALARM, "sagemaker-latency-alarm").inputs;
    assert.deepEqual(
      [latency.period, latency.evaluationPeriods, latency.datapointsToAlarm],
      [60, 3, 2],
    );
    const clients = mocks.one(ALARM, "sagemaker-4xx-alarm");
    for (const q of clients.inputs.metricQueries.filter((m: { metric?: unknown }) => m.metric)) {
      assert.equal(q.metric.period, 300);
    }
    const guards = deploymentConfig(mocks).autoRollbackConfiguration.alarms.map(
      (a: { alarmName: string }) => a.alarmName,
    );
    assert.ok(!guards.includes(clients.state.name));
  });

  it("a changed rollback alarm list updates the endpoint in place: same name and configuration, nothing forces a replacement", async () => {
    const before = await build();
    // the mocks name an alarm after its inputs: a new threshold stands for a new alarm in the list
    const after = await build({ modelLatencyThresholdMs: 250 });
    const [a, b] = [before, after].map((r) => r.mocks.one(ENDPOINT).inputs);
    assert.notDeepEqual(b?.deploymentConfig, a?.deploymentConfig);
    const changed = Object.keys({ ...a, ...b }).filter(
      (k) => JSON.stringify(a?.[k]) !== JSON.stringify(b?.[k]),
    );
    assert.deepEqual(changed, ["deploymentConfig"]);
    assert.equal(b?.endpointConfigName, await value(before.sm.endpointConfigName));
    const opts = after.seen.find((s) => s.type === ENDPOINT)?.opts;
    // aws-native marks its create-only EndpointName, and only it
    assert.deepEqual(opts?.replaceOnChanges, ["endpointName"]);
    assert.equal(opts?.deleteBeforeReplace, undefined);
  });

  it("checks the rollout after the endpoint, against the configuration it deployed", async () => {
    const { mocks, sm, seen } = await build({
      ...INSTANCES,
      rollout: { type: "canary", instances: 1 },
    });
    const check = mocks.one(CHECK, "sagemaker-rollout-check").inputs;
    assert.deepEqual(
      { ...check, __provider: undefined },
      {
        region: REGION,
        endpointName: "iris-mlops-prod-sagemaker",
        endpointConfigName: await value(sm.endpointConfigName),
        // the rollout's timeout and 15 minutes for SageMaker's rollback
        timeoutSeconds: 1800 + 2 * 600 + 900,
        pollSeconds: 30,
        __provider: undefined,
      },
    );
    assert.deepEqual(seen.find((s) => s.type === CHECK)?.opts.dependsOn, [sm.endpoint]);
  });

  describe("refused before anything is created", () => {
    const refuses = async (args: Partial<SageMakerEndpointArgs>, pattern: RegExp) => {
      await useMocks({}, "prod");
      assert.throws(
        () => new SageMakerEndpoint("bad", { ...ARGS, ...args }),
        (e: Error) => e instanceof ArgumentError && pattern.test(e.message),
      );
    };

    it("canary or linear on serverless", async () => {
      for (const type of ["canary", "linear"] as const) {
        await refuses({ rollout: { type } }, /serverless endpoint has none; use all-at-once/);
      }
    });

    it("a canary of one instance on one instance, naming the setting to raise", async () => {
      await refuses(
        { serverless: false, autoscaling: false, rollout: { type: "canary" } },
        /a canary of 1 instance needs at least 2 instances .* as few as 1 instance \(initialInstanceCount\); raise initialInstanceCount to 2/,
      );
      await refuses(
        { ...INSTANCES, minInstanceCount: 3, rollout: { type: "canary", instances: 2 } },
        /as few as 3 instances \(minInstanceCount\)/,
      );
    });

    it("a linear step under 10% of the most instances autoscaling can reach", async () => {
      await refuses(
        { ...INSTANCES, maxInstanceCount: 20, rollout: { type: "linear", instances: 1 } },
        /under 10% of the 20 instances .*\(maxInstanceCount\).*at least 2/,
      );
    });

    it("a linear rollout whose bakes outlast SageMaker's 8-hour deployment timeout, naming what to lower", async () => {
      // 10 steps of 60 minutes and 30 minutes of provisioning: 37,800 s of 28,800
      await refuses(
        {
          ...INSTANCES,
          maxInstanceCount: 10,
          rollout: { type: "linear", instances: 1, intervalMinutes: 60 },
        },
        /37800 s .* 28800 s .*MaximumExecutionTimeoutInSeconds.*lower rollout\.intervalMinutes to at most 45.*raise rollout\.instances to 2/,
      );
    });

    it("a canary or linear rollout with alarms false: nothing would roll it back", async () => {
      for (const type of ["canary", "linear"] as const) {
        await refuses(
          { ...INSTANCES, alarms: false, rollout: { type, instances: 1 } },
          new RegExp(
            `a ${type} rollout rolls back on the endpoint's alarms, and with alarms false there are none: keep alarms on or use rollout\\.type all-at-once`,
          ),
        );
      }
    });

    it("out-of-range bakes and sizes", async () => {
      await refuses(
        { rollout: { intervalMinutes: 61 } },
        /rollout\.intervalMinutes must be an integer from 0 to 60/,
      );
      await refuses(
        { rollout: { instances: 0 } },
        /rollout\.instances must be an integer from 1 to 100/,
      );
    });
  });

  it("refuses exactly what SageMaker's sizes refuse: a canary or step over half the fewest instances, a step under 10% of the most", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("canary", "linear" as const),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (type, instances, fewest, extra) => {
          const most = Math.min(fewest + extra, 100);
          const capacity: RolloutCapacity = {
            serverless: false,
            fewest,
            most,
            fewestSetting: "min",
            mostSetting: "max",
          };
          const fits = instances / fewest <= 0.5 && (type === "canary" || instances / most >= 0.1);
          assert.equal(endpointRolloutProblem({ type, instances }, capacity) === undefined, fits);
          assert.equal(
            endpointRolloutProblem({ type: "all-at-once", instances }, capacity),
            undefined,
          );
        },
      ),
    );
  });
});

/** Whether the component's check lets the rollout through (with alarms to roll it back). */
function accepts(rollout: Required<SageMakerRollout>, capacity: RolloutCapacity): boolean {
  try {
    checkEndpointRollout("SageMakerEndpoint", rollout, capacity, true);
    return true;
  } catch (error) {
    if (error instanceof ArgumentError) return false;
    throw error;
  }
}

it("accepts exactly the rollouts whose provisioning and bakes fit SageMaker's timeout, and gives each a timeout they fit in", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("all-at-once", "canary", "linear" as const),
      fc.integer({ min: 1, max: 20 }),
      // the largest count as whole steps and a remainder, so that long linear rollouts come up
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 19 }),
      fc.integer({ min: 1, max: 100 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: 0, max: 60 }),
      (
        type,
        instances,
        wholeSteps,
        short,
        fewestPercent,
        intervalMinutes,
        terminationWaitMinutes,
      ) => {
        const most = Math.min(Math.max(instances * wholeSteps - (short % instances), 1), 100);
        const fewest = Math.max(Math.ceil((most * fewestPercent) / 100), 1);
        const capacity: RolloutCapacity = {
          serverless: false,
          fewest,
          most,
          fewestSetting: "min",
          mostSetting: "max",
        };
        const rollout = { type, instances, intervalMinutes, terminationWaitMinutes };
        const sizes = endpointRolloutProblem({ type, instances }, capacity) === undefined;
        const steps = type === "linear" ? Math.ceil(most / instances) : type === "canary" ? 2 : 1;
        const waits = steps * intervalMinutes * 60 + terminationWaitMinutes * 60;
        // 30 minutes to provision the new fleet, and SageMaker's cap of 8 hours
        const accepted = accepts(rollout, capacity);
        assert.equal(accepted, sizes && 1800 + waits <= 28800);
        if (!accepted) return;
        const timeout = rolloutTimeoutSeconds(rollout, most);
        assert.ok(timeout >= 1800 + waits && timeout > waits, `${timeout} s for ${waits} s`);
        assert.ok(timeout >= 600 && timeout <= 28800);
        const policy = deploymentConfigFor(rollout, most, ["a"]).blueGreenUpdatePolicy;
        assert.equal(policy.maximumExecutionTimeoutInSeconds, timeout);
      },
    ),
    { numRuns: 500 },
  );
});

it("a timeout over SageMaker's cap is an error, not a shorter timeout (counts the checks could not read)", () => {
  assert.throws(
    () => rolloutTimeoutSeconds({ type: "linear", instances: 1, intervalMinutes: 60 }, 10),
    (e: Error) => e instanceof ArgumentError && /37800 s .* 28800 s/.test(e.message),
  );
});

describe("the iris-mlops:sagemaker.rollout config key", () => {
  const parse = (sagemaker: Record<string, unknown>) =>
    parseStackConfig({ "iris-mlops:sagemaker": JSON.stringify({ enabled: true, ...sagemaker }) });
  const refused = (sagemaker: Record<string, unknown>, pattern: RegExp) =>
    assert.throws(
      () => parse(sagemaker),
      (e: Error) => e instanceof ConfigError && pattern.test(e.message),
    );

  it("defaults to all at once with a 10-minute bake", () => {
    assert.deepEqual(parse({}).sagemaker.rollout, {
      type: "all-at-once",
      instances: 1,
      intervalMinutes: 10,
      terminationWaitMinutes: 0,
    });
  });

  it("refuses, naming the key, a canary on serverless and one the instances cannot carry", () => {
    refused(
      { rollout: { type: "canary" } },
      /iris-mlops:sagemaker\.rollout\.type: a canary rollout needs instances/,
    );
    refused(
      { mode: "instances", rollout: { type: "canary" } },
      /iris-mlops:sagemaker\.rollout\.type: a canary of 1 instance needs at least 2 instances .*\(iris-mlops:sagemaker\.minInstances\)/,
    );
    refused(
      { mode: "instances", autoscaling: false, instanceCount: 1, rollout: { type: "linear" } },
      /\(iris-mlops:sagemaker\.instanceCount\)/,
    );
    refused({ rollout: { type: "blue-green" } }, /iris-mlops:sagemaker\.rollout\.type: /);
    refused({ rollout: { bake: 5 } }, /iris-mlops:sagemaker\.rollout: Unrecognized key/);
    refused({ rollout: { intervalMinutes: 90 } }, /iris-mlops:sagemaker\.rollout\.intervalMinutes/);
  });

  it("refuses, naming the keys to change, a linear rollout whose bakes outlast SageMaker's 8-hour timeout", () => {
    // 10 steps (up to 10 instances, one a step) of 60 minutes
    refused(
      {
        mode: "instances",
        instanceCount: 2,
        minInstances: 2,
        maxInstances: 10,
        rollout: { type: "linear", instances: 1, intervalMinutes: 60 },
      },
      /iris-mlops:sagemaker\.rollout\.intervalMinutes: .*37800 s .*lower iris-mlops:sagemaker\.rollout\.intervalMinutes to at most 45.*raise iris-mlops:sagemaker\.rollout\.instances to 2/,
    );
    // without autoscaling: 20 instances in 10 steps of 2, and an hour's termination wait
    refused(
      {
        mode: "instances",
        autoscaling: false,
        instanceCount: 20,
        rollout: { type: "linear", instances: 2, intervalMinutes: 60, terminationWaitMinutes: 60 },
      },
      /iris-mlops:sagemaker\.rollout\.intervalMinutes: .*41400 s .*at most 39\b.*raise iris-mlops:sagemaker\.rollout\.instances to 4/,
    );
    // the longest canary fits: 2 bakes of an hour and an hour's termination wait
    const canary = {
      type: "canary",
      instances: 1,
      intervalMinutes: 60,
      terminationWaitMinutes: 60,
    };
    assert.equal(
      parse({ mode: "instances", minInstances: 2, rollout: canary }).sagemaker.rollout.type,
      "canary",
    );
  });

  it("refuses alerts.enabled false with a canary or linear rollout, which only the endpoint's alarms roll back", () => {
    for (const type of ["canary", "linear"]) {
      assert.throws(
        () =>
          parseStackConfig({
            "iris-mlops:alerts": JSON.stringify({ enabled: false }),
            "iris-mlops:api": JSON.stringify({ rollout: { type: "all-at-once" } }),
            "iris-mlops:sagemaker": JSON.stringify({
              enabled: true,
              mode: "instances",
              minInstances: 2,
              maxInstances: 3,
              rollout: { type, instances: 1 },
            }),
          }),
        (e: Error) =>
          e instanceof ConfigError &&
          e.message.includes(
            `iris-mlops:sagemaker.rollout.type: a ${type} rollout rolls back on the endpoint's alarms, which iris-mlops:alerts.enabled false turns off: set it to all-at-once, or turn the alerts back on`,
          ),
      );
    }
  });

  it("checks no rollout of an endpoint that is off (found by review: a disabled block was refused)", () => {
    const config = parseStackConfig({
      "iris-mlops:alerts": JSON.stringify({ enabled: false }),
      "iris-mlops:api": JSON.stringify({ rollout: { type: "all-at-once" } }),
      "iris-mlops:sagemaker": JSON.stringify({ enabled: false, rollout: { type: "canary" } }),
    });
    assert.equal(config.sagemaker.enabled, false);
  });

  it("reads numerals as `pulumi config set --path` stores them", () => {
    const s = parse({
      mode: "instances",
      minInstances: "2",
      rollout: { type: "canary", instances: "1" },
    });
    assert.equal(s.sagemaker.rollout.instances, 1);
  });

  it("prod rolls out a 1-instance canary over its 2 to 3 instances", async () => {
    const prod = await runStack("prod", await stackConfigFile("prod"));
    const endpoint = prod.resources.find((r) => r.type === ENDPOINT);
    assert.deepEqual(
      endpoint?.inputs.deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration,
      {
        type: "CANARY",
        waitIntervalInSeconds: 600,
        canarySize: { type: "INSTANCE_COUNT", value: 1 },
      },
    );
    const config = prod.resources.find(
      (r) => r.type === "aws:sagemaker/endpointConfiguration:EndpointConfiguration",
    );
    assert.equal(config?.inputs.productionVariants[0].initialInstanceCount, 2);
    const target = prod.resources.find((r) => r.type === "aws:appautoscaling/target:Target");
    assert.deepEqual([target?.inputs.minCapacity, target?.inputs.maxCapacity], [2, 3]);
  });
});
