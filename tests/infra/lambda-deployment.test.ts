/**
 * LambdaDeployment's provider as `pulumi up` runs it: serialized by a Pulumi program run through
 * the SDK's own cmd/run (tests/fixtures/infra/lambda-deployment/), then loaded and called by the
 * SDK's cmd/dynamic-provider, whose AWS SDK clients reach local fakes of CodeDeploy (JSON 1.1)
 * and Lambda (REST-JSON) through AWS_ENDPOINT_URL_CODEDEPLOY / AWS_ENDPOINT_URL_LAMBDA, with
 * dummy credentials and polling every 20 ms (IRIS_MLOPS_ROLLOUT_POLL_SECONDS).
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { join } from "node:path";
import fc from "fast-check";
import { LAMBDA_DEPLOYMENT_ACTIONS } from "../../components/lambda-deployment.js";
import { pollInterval } from "../../components/lambda-deployment-run.js";
import {
  checkRollout,
  deploymentTimeoutSeconds,
  ROLLOUT_TYPES,
} from "../../components/lambda-rollout.js";
import { packageRoot } from "../../components/paths.js";
import { parseStackConfig } from "../../stacks/config.js";
import { CodeDeployFake, type Step } from "../helpers/aws-fakes/codedeploy.js";
import {
  type Aliases,
  type LambdaOperations,
  lambdaThrottling,
  startLambdaFake,
} from "../helpers/aws-fakes/lambda.js";
import { AwsFault, type FakeService, Trickle } from "../helpers/aws-fakes/service.js";
import { actionsFor } from "../helpers/iam-catalogue.js";
import { DynamicProviderHost } from "./host/dynamic-provider.js";
import { RecordingEngine, type Registration } from "./host/engine.js";
import { runProgram } from "./host/language-host.js";

const ROOT = packageRoot();
const FIXTURE = join(ROOT, "tests", "fixtures", "infra", "lambda-deployment");
const TYPE = "pulumi-nodejs:dynamic:LambdaDeployment";
const ALIAS = "iris-test-api:live";
const GROUP = {
  applicationName: "iris-test-api",
  deploymentGroupName: "iris-test-api-live",
  deploymentConfigName: "CodeDeployDefault.LambdaCanary10Percent10Minutes",
};
// errorInformation as GetDeployment reports an alarm stop (the wording is AWS's to choose)
const ALARM_STOP: Step = {
  status: "Stopped",
  error: { code: "ALARM_ACTIVE", message: "Activated alarms: <iris-test-api-errors-alarm>" },
  rollBack: true,
};
const throttling = () => new AwsFault(400, "ThrottlingException", "Rate exceeded");

type Props = Record<string, unknown>;

describe("LambdaDeployment, run by Pulumi's dynamic-provider host against CodeDeploy and Lambda fakes", () => {
  const aliases: Aliases = new Map();
  const seen = new Set<string>();
  let codedeploy: CodeDeployFake;
  let lambda: FakeService<LambdaOperations>;
  let engine: RecordingEngine;
  let host: DynamicProviderHost;
  let resource: Registration;
  /** The inputs the fixture program registered, the serialized provider among them. */
  let deployed: Props;
  const as = (change: Props) => ({ ...deployed, ...change });

  before(async function () {
    this.timeout(180_000);
    codedeploy = await CodeDeployFake.start(GROUP, aliases);
    lambda = await startLambdaFake(aliases, "eu-west-1");
    const run = await runProgram({
      projectDir: FIXTURE,
      stack: "test",
      dryRun: false,
      env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    });
    const found = run.engine.registrations.find((reg) => reg.type === TYPE);
    if (run.exitCode !== 0 || !found) throw new Error(`the fixture program failed:\n${run.stderr}`);
    resource = found;
    deployed = found.inputs as Props;
    engine = new RecordingEngine(run.engine.run);
    await engine.start();
    host = await DynamicProviderHost.start(run.engine.run.workingDir, engine.address, 30_000, {
      AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
      AWS_SECRET_ACCESS_KEY: "fake-secret",
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_CONFIG_FILE: "/nonexistent",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_CODEDEPLOY: codedeploy.service.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      IRIS_MLOPS_ROLLOUT_POLL_SECONDS: "0.02",
    });
  });
  beforeEach(() => {
    codedeploy.reset();
    lambda.reset();
    aliases.clear();
    aliases.set(ALIAS, { version: "3", weights: {} });
  });
  afterEach(() => {
    for (const call of codedeploy.service.calls) seen.add(`codedeploy:${call.operation}`);
    for (const call of lambda.calls) seen.add(`lambda:${call.operation}`);
  });
  after(async () => {
    host?.stop();
    await engine?.stop();
    await codedeploy?.service.close();
    await lambda?.close();
  });

  /** What the provider wrote to stderr while `fn` ran: the lines `pulumi up` shows. */
  async function printed<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string }> {
    const before = host.stderr.length;
    const result = await fn();
    return { result, lines: host.stderr.slice(before) };
  }
  /** The error a create fails with, as the engine gets it (the host's stderr left off). */
  async function createFails(props: Props): Promise<string> {
    const err = await host.create(resource, props).then(
      () => assert.fail("create should fail"),
      (e: Error) => e,
    );
    return err.message.split("\n")[0] ?? "";
  }

  it("is registered with its provider serialized, and nothing of this checkout's path in it", () => {
    assert.equal(typeof deployed.__provider, "string");
    assert.ok(!(deployed.__provider as string).includes(ROOT));
    assert.deepEqual(as({ __provider: undefined }), {
      region: "eu-west-1",
      ...{ applicationName: "iris-test-api", deploymentGroupName: "iris-test-api-live" },
      ...{ functionName: "iris-test-api", aliasName: "live", targetVersion: "4" },
      timeoutSeconds: 60,
      __provider: undefined,
    });
  });

  it("check passes the registered inputs and unknown values, and names each bad input", async () => {
    assert.deepEqual((await host.check(resource, {}, deployed)).failures, []);
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const preview = as({ targetVersion: unknown, functionName: unknown, timeoutSeconds: unknown });
    assert.deepEqual((await host.check(resource, {}, preview)).failures, []);
    const bad = as({ targetVersion: "$LATEST", aliasName: "", timeoutSeconds: 0 });
    const { failures } = await host.check(resource, {}, bad);
    assert.deepEqual(failures.map((f) => f.property).sort(), [
      "aliasName",
      "targetVersion",
      "timeoutSeconds",
    ]);
    assert.match(
      failures.find((f) => f.property === "targetVersion")?.reason ?? "",
      /publish: true/,
    );
  });

  it("check refuses exactly the target versions that are not a published version number", async () => {
    const version = fc.oneof(
      fc.integer({ min: 0, max: 99_999 }).map(String),
      fc.constantFrom("$LATEST", "01", "1.0", "-1", " 4", "live", ""),
      fc.string({ maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(version, async (targetVersion) => {
        const { failures } = await host.check(resource, {}, as({ targetVersion }));
        const published = /^[1-9][0-9]*$/.test(targetVersion);
        assert.deepEqual(
          failures.map((f) => f.property),
          published ? [] : ["targetVersion"],
        );
      }),
      { numRuns: 40 },
    );
  });

  it("an alias already on the target version: Unchanged, no deployment, calls in the input's region", async () => {
    aliases.set(ALIAS, { version: "4", weights: {} });
    const { result, lines } = await printed(() =>
      host.create(resource, as({ region: "us-east-2" })),
    );
    assert.equal(result.id, "iris-test-api:live");
    assert.deepEqual(
      { ...result.properties, __provider: undefined },
      as({
        region: "us-east-2",
        status: "Unchanged",
        fromVersion: "4",
        toVersion: "4",
        __provider: undefined,
      }),
    );
    assert.equal(codedeploy.service.count("CreateDeployment"), 0);
    const calls = [...codedeploy.service.calls, ...lambda.calls];
    assert.deepEqual(
      calls.map((c) => c.operation),
      ["ListDeployments", "GetAlias"],
    );
    assert.deepEqual(new Set(calls.map((c) => c.region)), new Set(["us-east-2"]));
    assert.match(
      lines,
      /\[lambda rollout iris-test-api:live\] already serves version 4: nothing to deploy/,
    );
  });

  it("a canary: one deployment from the alias's version, progress printed, Succeeded", async () => {
    const { result, lines } = await printed(() => host.create(resource, deployed));
    const [id] = codedeploy.deployments.keys();
    assert.deepEqual(
      { ...result.properties, __provider: undefined },
      as({
        status: "Succeeded",
        deploymentId: id,
        fromVersion: "3",
        toVersion: "4",
        __provider: undefined,
      }),
    );
    assert.deepEqual(aliases.get(ALIAS), { version: "4", weights: {} });
    assert.match(lines, new RegExp(`\\] ${id} started: version 3 to 4\\n`));
    assert.match(
      lines,
      /InProgress: 10% of traffic on version 4, the rest on 3, about 10m 0s left in the bake\n/,
    );
    assert.match(lines, new RegExp(`${id} Succeeded: version 4 serves all traffic\\n`));
    // one line per change, not one per poll
    assert.equal(lines.match(/10% of traffic/g)?.length, 1);
    for (const call of codedeploy.service.calls) assert.equal(call.signingService, "codedeploy");
    for (const call of lambda.calls) assert.equal(call.signingService, "lambda");
  });

  it("sends the AppSpec AWS documents for Lambda: version 0.0, one function, its sha256", async () => {
    await host.create(resource, deployed);
    const [create] = codedeploy.service.calls.filter((c) => c.operation === "CreateDeployment");
    const input = create?.input as {
      revision: { appSpecContent: { content: string; sha256: string } };
    };
    const { content, sha256 } = input.revision.appSpecContent;
    assert.equal(sha256, createHash("sha256").update(content).digest("hex"));
    assert.match(content, /^\{"version":0\.0,"Resources":/);
    assert.deepEqual(JSON.parse(content), {
      version: 0,
      Resources: [
        {
          "iris-test-api": {
            Type: "AWS::Lambda::Function",
            Properties: {
              Name: "iris-test-api",
              Alias: "live",
              CurrentVersion: "3",
              TargetVersion: "4",
            },
          },
        },
      ],
    });
    assert.deepEqual(create?.input, {
      applicationName: "iris-test-api",
      deploymentGroupName: "iris-test-api-live",
      description: "pulumi up: iris-test-api:live version 3 to 4",
      revision: { revisionType: "AppSpecContent", appSpecContent: { content, sha256 } },
    });
  });

  it("an alarm during the bake: create fails naming the deployment and the alarm; traffic is back", async () => {
    codedeploy.script = [{ status: "Created" }, { status: "InProgress", weight: 10 }, ALARM_STOP];
    const message = await createFails(deployed);
    const [id, rollback] = codedeploy.deployments.keys();
    assert.match(message, new RegExp(`CodeDeploy deployment ${id} ended Stopped: an alarm fired`));
    assert.match(message, /ALARM_ACTIVE: Activated alarms: <iris-test-api-errors-alarm>/);
    assert.match(message, new RegExp(`rolled it back with deployment ${rollback}: Deployment`));
    assert.match(message, /Traffic is back on the old version: alias live serves version 3\./);
    assert.match(message, /next `pulumi up` deploys version 4 again/);
    assert.match(message, /pulumi config set model\.version <version>.*docs\/runbook\.md/);
    assert.deepEqual(aliases.get(ALIAS), { version: "3", weights: {} });
  });

  it("a failed update without a rollback: says so, and where the traffic is left", async () => {
    codedeploy.script = [
      { status: "InProgress", weight: 10 },
      { status: "Failed", error: { code: "INTERNAL_ERROR", message: "something broke" } },
    ];
    const olds = as({ status: "Succeeded", fromVersion: "2", toVersion: "3" });
    const err = await host
      .update(resource, "iris-test-api:live", olds, deployed)
      .catch((e: Error) => e);
    assert.ok(err instanceof Error);
    const message = err.message.split("\n")[0] ?? "";
    assert.match(message, /ended Failed: it failed \(INTERNAL_ERROR: something broke\)/);
    assert.match(message, /CodeDeploy started no rollback\./);
    assert.match(
      message,
      /not back on version 3 alone: alias live serves version 3 and sends 10% on version 4/,
    );
  });

  it("throttled calls (CodeDeploy's 400 ThrottlingException, Lambda's 429) are retried, then succeed", async () => {
    codedeploy.service.failNext("ListDeployments", [throttling(), throttling()]);
    codedeploy.service.failNext("GetDeployment", [throttling()]);
    lambda.failNext("GetAlias", [lambdaThrottling(), lambdaThrottling()]);
    const { properties } = await host.create(resource, deployed);
    assert.equal(properties.status, "Succeeded");
    assert.equal(codedeploy.service.count("ListDeployments"), 3);
    assert.equal(lambda.count("GetAlias"), 4); // 2 throttled, 1 before and 1 after the deployment
  });

  it("a 5xx now and then is retried; a CreateDeployment retried after its answer was lost joins its deployment", async () => {
    codedeploy.service.failNext("GetDeploymentTarget", [
      new AwsFault(500, "InternalFailure", "oops"),
    ]);
    codedeploy.service.failNext(
      "CreateDeployment",
      [new AwsFault(503, "ServiceUnavailable", "busy")],
      true,
    );
    const { properties } = await host.create(resource, deployed);
    assert.equal(codedeploy.service.count("CreateDeployment"), 2);
    assert.equal(codedeploy.deployments.size, 1);
    assert.deepEqual(
      [properties.status, properties.deploymentId],
      ["Succeeded", [...codedeploy.deployments.keys()][0]],
    );
  });

  it("a CodeDeploy that keeps answering 5xx: create fails saying the deployment may still run", async () => {
    codedeploy.service.failNext(
      "GetDeployment",
      Array.from({ length: 5 }, () => new AwsFault(503, "ServiceUnavailable", "down")),
    );
    const message = await createFails(deployed);
    const [id] = codedeploy.deployments.keys();
    assert.equal(codedeploy.service.count("GetDeployment"), 5); // the SDK's five attempts
    assert.match(
      message,
      new RegExp(
        `lost track of CodeDeploy deployment ${id}: CodeDeploy GetDeployment failed: ServiceUnavailable: down`,
      ),
    );
    assert.match(message, /may still be running in AWS; the next `pulumi up` waits for it/);
  });

  it("a deployment of the same version left by an interrupted `pulumi up` is waited for", async () => {
    const spec = { Name: "iris-test-api", Alias: "live", CurrentVersion: "3", TargetVersion: "4" };
    const id = codedeploy.seed(spec, [
      { status: "InProgress", weight: 10 },
      { status: "Succeeded" },
    ]);
    const { result, lines } = await printed(() => host.create(resource, deployed));
    assert.equal(codedeploy.service.count("CreateDeployment"), 0);
    assert.deepEqual([result.properties.deploymentId, result.properties.fromVersion], [id, "3"]);
    assert.match(
      lines,
      new RegExp(`${id} \\(InProgress\\) already deploys version 4: waiting for it`),
    );
  });

  it("a deployment of another version in the group: create fails naming it, and starts nothing", async () => {
    const spec = { Name: "iris-test-api", Alias: "live", CurrentVersion: "3", TargetVersion: "5" };
    const id = codedeploy.seed(spec, [{ status: "InProgress", weight: 10 }]);
    const message = await createFails(deployed);
    assert.equal(codedeploy.service.count("CreateDeployment"), 0);
    assert.match(
      message,
      new RegExp(
        `already has CodeDeploy deployment ${id} \\(InProgress\\) moving iris-test-api:live from version 3 to 5`,
      ),
    );
    assert.match(
      message,
      new RegExp(
        `stop-deployment --deployment-id ${id} --auto-rollback-enabled --region eu-west-1`,
      ),
    );
  });

  it("past timeoutSeconds: fails saying the deployment still runs in AWS, and leaves it running", async () => {
    codedeploy.script = [{ status: "Created" }, { status: "InProgress", weight: 10 }];
    const message = await createFails(as({ timeoutSeconds: 1 }));
    const [id] = codedeploy.deployments.keys();
    assert.match(
      message,
      new RegExp(
        `did not finish within 1 s: CodeDeploy deployment ${id} is still running in AWS \\(InProgress, 10% of traffic on version 4\\)`,
      ),
    );
    assert.match(message, /left running.*The next `pulumi up` waits for it/);
    assert.equal(codedeploy.deployments.get(id as string)?.info.status, "InProgress");
    assert.ok(!codedeploy.service.calls.some((c) => c.operation === "StopDeployment"));
  });

  it("check accepts the timeout of every rollout the stack config accepts (48 h of shifting and the margin)", async () => {
    const rollout = fc.record({
      type: fc.constantFrom(...ROLLOUT_TYPES),
      percentage: fc.integer({ min: 1, max: 99 }),
      intervalMinutes: fc.oneof(fc.integer({ min: 1, max: 2880 }), fc.constant(2880)),
    });
    const longest = [
      { type: "canary", percentage: 10, intervalMinutes: 2880 },
      { type: "linear", percentage: 1, intervalMinutes: 29 },
    ] as const;
    const accepts = async (r: {
      type: (typeof ROLLOUT_TYPES)[number];
      percentage: number;
      intervalMinutes: number;
    }) => {
      let parsed: ReturnType<typeof parseStackConfig>;
      try {
        parsed = parseStackConfig({ "iris-mlops:api": JSON.stringify({ rollout: r }) });
      } catch {
        return; // refused by the config, naming the key: nothing reaches the resource
      }
      // the component's own arguments take the same rollout
      const args = {
        rolloutType: r.type,
        rolloutPercentage: r.percentage,
        rolloutIntervalMinutes: r.intervalMinutes,
      };
      assert.deepEqual(checkRollout("LambdaInferenceApi", args, true), parsed.api.rollout);
      const timeoutSeconds = deploymentTimeoutSeconds(parsed.api.rollout);
      const { failures } = await host.check(resource, {}, as({ timeoutSeconds }));
      assert.deepEqual(failures, [], `${JSON.stringify(r)}: ${timeoutSeconds} s`);
    };
    for (const r of longest) await accepts(r);
    await fc.assert(fc.asyncProperty(rollout, accepts), { numRuns: 40 });
    const { failures } = await host.check(resource, {}, as({ timeoutSeconds: 48 * 3600 + 3601 }));
    assert.deepEqual(
      failures.map((f) => f.property),
      ["timeoutSeconds"],
    );
  });

  it("a wait used up before CreateDeployment: starts no deployment it would not watch", async () => {
    // found by review: a deployment was started after the deadline, then reported as timed out
    const message = await createFails(as({ timeoutSeconds: 0.001 }));
    assert.equal(codedeploy.service.count("CreateDeployment"), 0);
    assert.match(message, /did not start: its 0\.001 s were used up before CreateDeployment/);
  });

  it("an answer that stalls after its headers: the create fails within a bound, naming the call", async () => {
    codedeploy.service.failNext("GetDeployment", [new Trickle()]);
    const started = Date.now();
    const message = await createFails(as({ timeoutSeconds: 1 }));
    const [id] = codedeploy.deployments.keys();
    assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
    assert.match(
      message,
      new RegExp(
        `lost track of CodeDeploy deployment ${id}: CodeDeploy GetDeployment failed: TimeoutError`,
      ),
    );
  });

  it("a GetAlias that stalls after its headers: refresh fails within a bound, naming the call", async () => {
    lambda.failNext("GetAlias", [new Trickle()]);
    const state = as({ status: "Succeeded", fromVersion: "3", toVersion: "4", timeoutSeconds: 1 });
    const started = Date.now();
    const err = await host.read(resource, "iris-test-api:live", state).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
    assert.match(err.message, /Lambda GetAlias \(iris-test-api:live\) failed: TimeoutError/);
  });

  it("a rollback deployment in the group is never joined, even when its AppSpec names our target", async () => {
    const spec = { Name: "iris-test-api", Alias: "live", CurrentVersion: "3", TargetVersion: "4" };
    const id = codedeploy.seed(spec, [{ status: "InProgress" }, { status: "Succeeded" }], {
      creator: "codeDeployRollback",
      rollbackInfo: { rollbackTriggeringDeploymentId: "d-ORIGINAL" },
    });
    const message = await createFails(deployed);
    assert.equal(codedeploy.service.count("CreateDeployment"), 0);
    assert.match(
      message,
      new RegExp(`already has CodeDeploy deployment ${id} .*the rollback of d-ORIGINAL`),
    );
    // stopping a rollback can leave the alias split: the message must not suggest it
    assert.doesNotMatch(message, /stop-deployment/);
    assert.match(message, /let it finish/);
  });

  it("a deployment that reports Succeeded while the alias does not serve the target alone: create fails saying what it serves", async () => {
    codedeploy.script = [
      { status: "InProgress", weight: 10 },
      { status: "Succeeded", leavesAlias: true },
    ];
    const message = await createFails(deployed);
    const [id] = codedeploy.deployments.keys();
    assert.match(
      message,
      new RegExp(
        `${id} reports Succeeded, but alias live serves version 3 and sends 10% on version 4`,
      ),
    );
  });

  it("a GetDeployment with no status or an undocumented one: fails at once as a protocol error", async () => {
    for (const status of [undefined, "Exploded"]) {
      codedeploy.reset();
      codedeploy.script = [{ status: status as Step["status"] }];
      const started = Date.now();
      const message = await createFails(as({ timeoutSeconds: 20 }));
      assert.ok(Date.now() - started < 10_000, `${status}: ${Date.now() - started} ms`);
      assert.match(
        message,
        /CodeDeploy GetDeployment answered (no status|status "Exploded", which CodeDeploy does not document)/,
      );
      assert.doesNotMatch(message, /still running/);
    }
  });

  it("a GetAlias with no FunctionVersion: fails as a protocol error and starts nothing", async () => {
    aliases.set(ALIAS, { version: "", weights: {} });
    const message = await createFails(deployed);
    assert.equal(codedeploy.service.count("CreateDeployment"), 0);
    assert.match(message, /Lambda GetAlias \(iris-test-api:live\) answered no FunctionVersion/);
  });

  it("an alias on the target but split with another version: not Unchanged; fails with the command to put it on one", async () => {
    aliases.set(ALIAS, { version: "4", weights: { "3": 0.25 } });
    const message = await createFails(deployed);
    assert.equal(codedeploy.service.count("CreateDeployment"), 0);
    assert.match(message, /alias live serves version 4 and sends 25% on version 3/);
    assert.match(
      message,
      /aws lambda update-alias --function-name iris-test-api --name live --function-version 4 --routing-config '\{"AdditionalVersionWeights":\{\}\}' --region eu-west-1/,
    );
  });

  it("IRIS_MLOPS_ROLLOUT_POLL_SECONDS: what the message says it takes is what it takes", () => {
    const saved = process.env.IRIS_MLOPS_ROLLOUT_POLL_SECONDS;
    try {
      for (const [set, ms] of [
        ["0.02", 20],
        ["300", 300_000],
        ["", 15_000],
      ] as const) {
        process.env.IRIS_MLOPS_ROLLOUT_POLL_SECONDS = set;
        assert.equal(pollInterval(), ms);
      }
      for (const set of ["0", "-1", "301", "soon"]) {
        process.env.IRIS_MLOPS_ROLLOUT_POLL_SECONDS = set;
        assert.throws(() => pollInterval(), /more than 0 and at most 300/);
      }
    } finally {
      if (saved === undefined) delete process.env.IRIS_MLOPS_ROLLOUT_POLL_SECONDS;
      else process.env.IRIS_MLOPS_ROLLOUT_POLL_SECONDS = saved;
    }
  });

  it("diff: the target version, function, alias or group changes it; the timeout alone does not", async () => {
    const state = as({ status: "Succeeded", fromVersion: "3", toVersion: "4" });
    const diff = (news: Props, olds = state) =>
      host.diff(resource, "iris-test-api:live", olds, news);
    assert.equal((await diff(deployed)).changes, "none");
    assert.equal((await diff(as({ timeoutSeconds: 900 }))).changes, "none");
    for (const change of [
      { targetVersion: "5" },
      { functionName: "f" },
      { aliasName: "a" },
      { deploymentGroupName: "g" },
    ]) {
      assert.deepEqual(
        await diff(as(change)),
        { changes: "some", replaces: [] },
        JSON.stringify(change),
      );
    }
    // after a refresh found the alias on another version, the next up deploys the target again
    assert.equal((await diff(deployed, { ...state, toVersion: "3" })).changes, "some");
    assert.equal(codedeploy.service.calls.length + lambda.calls.length, 0);
  });

  it("refresh reports the version the alias serves; delete calls nothing", async () => {
    const state = as({
      status: "Succeeded",
      deploymentId: "d-OLD",
      fromVersion: "3",
      toVersion: "4",
    });
    const read = await host.read(resource, "iris-test-api:live", state);
    assert.deepEqual(read, { id: "iris-test-api:live", properties: { ...state, toVersion: "3" } });
    const before = lambda.calls.length + codedeploy.service.calls.length;
    await host.delete(resource, "iris-test-api:live", state);
    assert.equal(lambda.calls.length + codedeploy.service.calls.length, before);
  });

  it("LAMBDA_DEPLOYMENT_ACTIONS are exactly the actions called above, each in AWS's catalogue", async () => {
    assert.deepEqual([...seen].sort(), [...LAMBDA_DEPLOYMENT_ACTIONS].sort());
    for (const action of LAMBDA_DEPLOYMENT_ACTIONS) {
      assert.equal((await actionsFor(action)).length, 1, action);
    }
  });
});
