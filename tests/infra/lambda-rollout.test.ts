/**
 * LambdaInferenceApi's rollouts through CodeDeploy: the published function and its `live` alias
 * (left to CodeDeploy after creation), the application, the deployment configuration of each
 * rollout type, the deployment group (alarms, rollback events, style), CodeDeploy's role, the
 * deployment, and the rollout arguments' checks.
 */
import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import {
  LambdaInferenceApi,
  type LambdaInferenceApiArgs,
} from "../../components/lambda-inference-api.js";
import {
  checkRollout,
  deploymentConfigName,
  deploymentTimeoutSeconds,
  MAX_SHIFT_MINUTES,
  ROLLOUT_TYPES,
  type Rollout,
  shiftMinutes,
} from "../../components/lambda-rollout.js";
import { ArgumentError, NAME_RULES, nameProblem } from "../../components/validate.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  LAMBDA_MODEL,
  PROJECT,
  policyOf,
  REGION,
  type Recorder,
  settle,
  useMocks,
  value,
} from "./harness.js";

const GROUP = "aws:codedeploy/deploymentGroup:DeploymentGroup";
const CONFIG = "aws:codedeploy/deploymentConfig:DeploymentConfig";
const DEPLOYMENT = "pulumi-nodejs:dynamic:LambdaDeployment";

interface Seen {
  readonly type: string;
  readonly name: string;
  readonly opts: pulumi.CustomResourceOptions;
}

/**
 * Build the component under the mocks, which see only inputs; the options each child is
 * registered with are read where the SDK hands them to a parent's transformations.
 */
async function build(args: Partial<LambdaInferenceApiArgs> = {}) {
  const mocks = await useMocks();
  const seen: Seen[] = [];
  const api = new LambdaInferenceApi(
    "api",
    { ...LAMBDA_MODEL, handlerEntry: FIXTURE_HANDLER, ...args },
    {
      transformations: [
        ({ type, name, opts }) => {
          seen.push({ type, name, opts });
          return undefined;
        },
      ],
    },
  );
  await settle(mocks, [api.apiUrl, api.rolloutStatus, api.deploymentGroupName]);
  const optionsOf = (name: string) => {
    const found = seen.find((s) => s.name === name);
    assert.ok(found, `no child ${name}`);
    return found.opts;
  };
  return { mocks, api, optionsOf };
}

const alarmArn = (mocks: Recorder, name: string) =>
  mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", name).state.arn as string;
const alarmName = (mocks: Recorder, name: string) =>
  mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", name).state.name as string;
const GUARDS = [
  "api-errors-alarm",
  "api-5xx-alarm",
  "api-canary-errors-alarm",
  "api-canary-duration-alarm",
];

describe("LambdaInferenceApi rollouts", () => {
  describe("by default: a canary of 10% for 10 minutes", () => {
    let built: Awaited<ReturnType<typeof build>>;
    before(async () => {
      built = await build();
    });

    it("publishes the function and creates the live alias on its newest version, then leaves version and routing to CodeDeploy", async () => {
      const { mocks, api, optionsOf } = built;
      const fn = mocks.one("aws:lambda/function:Function");
      assert.equal(fn.inputs.publish, true);
      const alias = mocks.one("aws:lambda/alias:Alias");
      assert.equal(alias.name, "api-live");
      assert.equal(alias.inputs.name, "live");
      assert.equal(alias.inputs.functionName, fn.state.name);
      assert.equal(alias.inputs.functionVersion, fn.state.version);
      assert.equal(alias.inputs.routingConfig, undefined);
      assert.deepEqual(optionsOf("api-live").ignoreChanges, ["functionVersion", "routingConfig"]);
      // the AWS provider's alias update sends the version from Pulumi's state and the routing
      // from the program, undoing a rollout: no other input may give Pulumi a reason to update it
      assert.deepEqual(Object.keys(alias.inputs).sort(), [
        "functionName",
        "functionVersion",
        "name",
      ]);
      assert.equal(await value(api.aliasArn), `${fn.state.arn}:live`);
      assert.equal(await value(api.functionVersion), fn.state.version);
    });

    it("names a canary configuration after project, stack, component and parameters", () => {
      const config = built.mocks.one(CONFIG).inputs;
      assert.equal(config.deploymentConfigName, `${PROJECT}-test-api-canary-10pct-10min`);
      assert.equal(config.computePlatform, "Lambda");
      assert.deepEqual(config.trafficRoutingConfig, {
        type: "TimeBasedCanary",
        timeBasedCanary: { percentage: 10, interval: 10 },
      });
      // a new name is a replacement: created before the old one is deleted
      assert.ok(!built.optionsOf("api-rollout-config").deleteBeforeReplace);
    });

    it("deploys blue/green with traffic control, rolling back on failure, on a stop and on the guarding alarms", () => {
      const { mocks } = built;
      const app = mocks.one("aws:codedeploy/application:Application");
      assert.equal(app.inputs.computePlatform, "Lambda");
      const group = mocks.one(GROUP).inputs;
      assert.equal(group.appName, app.state.name);
      assert.equal(group.deploymentGroupName, "api-live");
      assert.equal(
        group.serviceRoleArn,
        mocks.one("aws:iam/role:Role", "api-rollout-role").state.arn,
      );
      assert.equal(group.deploymentConfigName, `${PROJECT}-test-api-canary-10pct-10min`);
      assert.deepEqual(group.deploymentStyle, {
        deploymentType: "BLUE_GREEN",
        deploymentOption: "WITH_TRAFFIC_CONTROL",
      });
      assert.deepEqual(group.autoRollbackConfiguration, {
        enabled: true,
        events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"],
      });
      assert.deepEqual(group.alarmConfiguration, {
        enabled: true,
        alarms: GUARDS.map((a) => alarmName(mocks, a)),
      });
      // throttles, the 4xx rate and the 15-minute duration trend guard nothing
      for (const name of ["api-throttles-alarm", "api-4xx-alarm", "api-duration-alarm"]) {
        assert.ok(!group.alarmConfiguration.alarms.includes(alarmName(mocks, name)), name);
      }
    });

    it("every guarding alarm looks at 60-second periods, so it can fire within the bake", () => {
      for (const name of GUARDS) {
        const a = built.mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", name).inputs;
        const periods = a.metricQueries
          ? a.metricQueries
              .filter((q: { metric?: object }) => q.metric)
              .map((q: { metric: { period: number } }) => q.metric.period)
          : [a.period];
        assert.deepEqual([...new Set(periods)], [60], name);
      }
    });

    it("lets CodeDeploy, and only CodeDeploy, read and move this alias and read these alarms", () => {
      const { mocks } = built;
      const role = mocks.one("aws:iam/role:Role", "api-rollout-role");
      assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
        {
          Effect: "Allow",
          Principal: { Service: "codedeploy.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]);
      const fn = mocks.one("aws:lambda/function:Function").state.arn as string;
      const policy = mocks.one("aws:iam/rolePolicy:RolePolicy", "api-rollout-policy");
      assert.equal(policy.inputs.role, role.state.name);
      assert.deepEqual(policyOf(policy).Statement, [
        {
          Sid: "ShiftLiveAlias",
          Effect: "Allow",
          Action: ["lambda:GetAlias", "lambda:UpdateAlias"],
          Resource: [fn, `${fn}:live`],
        },
        {
          Sid: "ReadProvisionedConcurrency",
          Effect: "Allow",
          Action: "lambda:GetProvisionedConcurrencyConfig",
          Resource: `${fn}:*`,
        },
        {
          Sid: "ReadGuardAlarms",
          Effect: "Allow",
          Action: "cloudwatch:DescribeAlarms",
          Resource: GUARDS.map((a) => alarmArn(mocks, a)),
        },
      ]);
      // the group is created once CodeDeploy may act with the role
      const dependsOn = built.optionsOf("api-rollout-group").dependsOn as pulumi.Resource[];
      assert.ok(dependsOn.some((r) => r instanceof aws.iam.RolePolicy));
    });

    it("rolls the alias out to the published version after the group, the alias and the guarding alarms", async () => {
      const { mocks, api, optionsOf } = built;
      const fn = mocks.one("aws:lambda/function:Function").state;
      const deployment = mocks.one(DEPLOYMENT).inputs;
      assert.equal(deployment.region, REGION);
      assert.equal(
        deployment.applicationName,
        mocks.one("aws:codedeploy/application:Application").state.name,
      );
      assert.equal(deployment.deploymentGroupName, "api-live");
      assert.equal(deployment.functionName, fn.name);
      assert.equal(deployment.aliasName, "live");
      assert.equal(deployment.targetVersion, fn.version);
      assert.equal(deployment.timeoutSeconds, (10 + 10) * 60);
      const dependsOn = optionsOf("api-deployment").dependsOn as pulumi.Resource[];
      assert.ok(dependsOn.some((r) => r instanceof aws.codedeploy.DeploymentGroup));
      assert.ok(dependsOn.some((r) => r instanceof aws.lambda.Alias));
      assert.equal(dependsOn.filter((r) => r instanceof aws.cloudwatch.MetricAlarm).length, 4);
      assert.equal(optionsOf("api-deployment").parent, api);
      assert.equal(await value(api.rolloutStatus), "Unchanged");
      assert.equal(await value(api.deploymentGroupName), "api-live");
    });

    it("keeps the children it always had, under the same names", () => {
      const names = built.mocks.resources.filter((r) => r.custom).map((r) => r.name);
      for (const name of [
        "api-function",
        "api-role",
        "api-policy",
        "api-logs",
        "api-access-logs",
        "api-api",
        "api-integration",
        "api-route-predict",
        "api-route-health",
        "api-stage",
        "api-invoke",
        "api-errors-alarm",
        "api-5xx-alarm",
      ]) {
        assert.ok(names.includes(name), name);
      }
    });
  });

  it("linear: a configuration of its own, 25% every 5 minutes, waited for 15 minutes plus a margin", async () => {
    const { mocks } = await build({
      rolloutType: "linear",
      rolloutPercentage: 25,
      rolloutIntervalMinutes: 5,
    });
    const config = mocks.one(CONFIG).inputs;
    assert.equal(config.deploymentConfigName, `${PROJECT}-test-api-linear-25pct-5min`);
    assert.deepEqual(config.trafficRoutingConfig, {
      type: "TimeBasedLinear",
      timeBasedLinear: { percentage: 25, interval: 5 },
    });
    assert.equal(mocks.one(GROUP).inputs.deploymentConfigName, config.deploymentConfigName);
    assert.equal(mocks.one(DEPLOYMENT).inputs.timeoutSeconds, (15 + 10) * 60);
  });

  it("all at once: CodeDeploy's own configuration, and no alarm stops it", async () => {
    const { mocks } = await build({ rolloutType: "all-at-once" });
    assert.equal(mocks.all(CONFIG).length, 0);
    const group = mocks.one(GROUP).inputs;
    assert.equal(group.deploymentConfigName, "CodeDeployDefault.LambdaAllAtOnce");
    assert.deepEqual(group.autoRollbackConfiguration.events, [
      "DEPLOYMENT_FAILURE",
      "DEPLOYMENT_STOP_ON_REQUEST",
    ]);
    assert.equal(group.alarmConfiguration.enabled, false);
    const statements = policyOf(
      mocks.one("aws:iam/rolePolicy:RolePolicy", "api-rollout-policy"),
    ).Statement;
    assert.deepEqual(
      statements.map((s) => s.Sid),
      ["ShiftLiveAlias", "ReadProvisionedConcurrency"],
    );
    assert.equal(mocks.one(DEPLOYMENT).inputs.timeoutSeconds, 10 * 60);
  });

  it("guards the bake with more alarms by name, and may read those too", async () => {
    const { mocks } = await build({ rolloutAlarmNames: ["checkout-latency"] });
    const alarms = mocks.one(GROUP).inputs.alarmConfiguration.alarms as string[];
    assert.equal(alarms.at(-1), "checkout-latency");
    const read = policyOf(
      mocks.one("aws:iam/rolePolicy:RolePolicy", "api-rollout-policy"),
    ).Statement.find((s) => s.Sid === "ReadGuardAlarms");
    assert.ok(read, "a statement reads the guarding alarms");
    assert.ok(
      (read.Resource as string[]).includes(
        `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:checkout-latency`,
      ),
    );
    // with alarms of its own off, a canary is guarded by those alone
    const only = await build({ alarms: false, rolloutAlarmNames: ["checkout-latency"] });
    assert.deepEqual(only.mocks.one(GROUP).inputs.alarmConfiguration, {
      enabled: true,
      alarms: ["checkout-latency"],
    });
  });

  it("refuses rollout arguments CodeDeploy would not take, by name", async () => {
    await useMocks();
    const refused = (args: Partial<LambdaInferenceApiArgs>, pattern: RegExp) =>
      assert.throws(
        () => new LambdaInferenceApi("bad", { ...LAMBDA_MODEL, ...args }),
        (e: Error) => e instanceof ArgumentError && pattern.test(e.message),
        JSON.stringify(args),
      );
    refused(
      { rolloutType: "blue-green" as unknown as "canary" },
      /rolloutType must be one of canary, linear, all-at-once, got blue-green/,
    );
    for (const rolloutPercentage of [0, 100, 12.5]) {
      refused({ rolloutPercentage }, /rolloutPercentage must be an integer from 1 to 99/);
    }
    for (const rolloutIntervalMinutes of [0, MAX_SHIFT_MINUTES + 1]) {
      refused(
        { rolloutIntervalMinutes },
        new RegExp(`rolloutIntervalMinutes must be an integer from 1 to ${MAX_SHIFT_MINUTES}`),
      );
    }
    refused(
      { rolloutType: "linear", rolloutPercentage: 1, rolloutIntervalMinutes: 60 },
      /a linear rollout of 1% every 60 minutes shifts traffic for 5940 minutes, over CodeDeploy's limit of 2880/,
    );
    for (const rolloutType of ["canary", "linear"] as const) {
      refused(
        { alarms: false, rolloutType },
        /rollout rolls back on alarms, and with alarms false and no rolloutAlarmNames there are none/,
      );
    }
  });

  it("any rollout is refused or fits CodeDeploy: its name, its 48 hours, a timeout past its last shift", () => {
    const rollouts = fc.record({
      type: fc.constantFrom(...ROLLOUT_TYPES),
      percentage: fc.integer({ min: 1, max: 99 }),
      intervalMinutes: fc.integer({ min: 1, max: MAX_SHIFT_MINUTES }),
    });
    fc.assert(
      fc.property(rollouts, rollouts, (a: Rollout, b: Rollout) => {
        let checked: Rollout;
        try {
          checked = checkRollout(
            "C",
            {
              rolloutType: a.type,
              rolloutPercentage: a.percentage,
              rolloutIntervalMinutes: a.intervalMinutes,
            },
            true,
          );
        } catch (error) {
          assert.ok(error instanceof ArgumentError);
          assert.ok(shiftMinutes(a) > MAX_SHIFT_MINUTES);
          return;
        }
        assert.deepEqual(checked, { ...a });
        assert.ok(shiftMinutes(a) <= MAX_SHIFT_MINUTES);
        assert.ok(deploymentTimeoutSeconds(a) > shiftMinutes(a) * 60);
        const name = deploymentConfigName(PROJECT, "prod", "api", a);
        if (a.type === "all-at-once") return assert.equal(name, undefined);
        assert.equal(nameProblem(NAME_RULES.codedeployConfig, name as string), undefined);
        // different parameters, different names: a change never reuses a configuration
        const other = deploymentConfigName(PROJECT, "prod", "api", b);
        const same =
          a.type === b.type &&
          a.percentage === b.percentage &&
          a.intervalMinutes === b.intervalMinutes;
        assert.equal(other === name, same);
      }),
      { numRuns: 300 },
    );
  });
});
