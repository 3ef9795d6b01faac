/**
 * The SageMaker rollout check as `pulumi up` runs it: the provider prod's program serializes
 * (one run through Pulumi's Node.js language host, from a fresh checkout), loaded by
 * @pulumi/pulumi's own dynamic-provider host, calling DescribeEndpoint with the real SDK against a
 * local fake of SageMaker's JSON 1.1 protocol. Each case scripts what SageMaker answers.
 */
import { strict as assert } from "node:assert";
import { DescribeEndpointCommand, SageMakerClient } from "@aws-sdk/client-sagemaker";
import { packageRoot } from "../../components/paths.js";
import { describedEndpoint, REGION, SageMakerFake } from "../helpers/aws-fakes/sagemaker.js";
import { AwsFault, Delayed } from "../helpers/aws-fakes/service.js";
import { type Clone, cloneRepository } from "./host/clone.js";
import { DynamicProviderHost } from "./host/dynamic-provider.js";
import { RecordingEngine, type Registration } from "./host/engine.js";
import { runProgram } from "./host/language-host.js";

const TYPE = "pulumi-nodejs:dynamic:EndpointRolloutCheck";
const NAME = "iris-mlops-prod-sagemaker";
const OLD = "sagemaker-config-0000001";

/** Credentials and endpoint for the SDK, and nothing of this machine's own AWS setup. */
const awsEnv = (url: string) => ({
  AWS_ENDPOINT_URL_SAGEMAKER: url,
  AWS_ACCESS_KEY_ID: "AKIDFAKE",
  AWS_SECRET_ACCESS_KEY: "fake-secret",
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_CONFIG_FILE: "/nonexistent/aws-config",
  AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
  AWS_EC2_METADATA_DISABLED: "true",
});

describe("the SageMaker rollout check, run by Pulumi's dynamic-provider host against a SageMaker fake", function () {
  this.timeout(600_000);
  let clone: Clone;
  let engine: RecordingEngine;
  let host: DynamicProviderHost;
  let fake: SageMakerFake;
  let check: Registration;
  /** prod's inputs, with a short poll so the cases run in seconds. */
  let deployed: Record<string, unknown>;
  let NEW: string;
  const as = (change: Record<string, unknown> = {}) => ({ ...deployed, ...change });
  const state = (s: Omit<Parameters<typeof describedEndpoint>[0], "name">) =>
    describedEndpoint({ name: NAME, ...s });

  /** What the host printed to stderr during `run`, and how long it took. */
  async function printed<T>(
    run: () => Promise<T>,
  ): Promise<{ result: T; lines: string; ms: number }> {
    const before = host.stderr.length;
    const started = Date.now();
    const result = await run();
    return { result, lines: host.stderr.slice(before), ms: Date.now() - started };
  }

  before(async () => {
    clone = cloneRepository(packageRoot(), "rollout-check");
    const prod = await runProgram({
      projectDir: clone.dir,
      stack: "prod",
      dryRun: false,
      env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
      limitMs: 300_000,
    });
    assert.equal(prod.exitCode, 0, prod.stderr);
    const found = prod.engine.registrations.find((reg) => reg.type === TYPE);
    if (!found) throw new Error(`prod registers no ${TYPE}`);
    check = found;
    const inputs = check.inputs as Record<string, unknown>;
    NEW = inputs.endpointConfigName as string;
    deployed = { ...inputs, pollSeconds: 0.2, timeoutSeconds: 20 };
    fake = await SageMakerFake.start();
    engine = new RecordingEngine(prod.engine.run);
    await engine.start();
    host = await DynamicProviderHost.start(
      prod.engine.run.workingDir,
      engine.address,
      30_000,
      awsEnv(fake.service.endpoint),
    );
  });
  after(async () => {
    host?.stop();
    await engine?.stop();
    await fake?.service.close();
    clone?.remove();
  });

  it("is registered after the endpoint with prod's endpoint, configuration, region and bound", () => {
    const inputs = check.inputs as Record<string, unknown>;
    assert.equal(typeof inputs.__provider, "string");
    assert.deepEqual(
      { ...inputs, __provider: undefined, endpointConfigName: undefined },
      {
        region: REGION,
        endpointName: NAME,
        // prod's canary: provisioning, two bakes of 10 minutes, 15 minutes for a rollback
        timeoutSeconds: 1800 + 1200 + 900,
        pollSeconds: 30,
        __provider: undefined,
        endpointConfigName: undefined,
      },
    );
    assert.match(NEW, /^sagemaker-config-/);
    assert.ok(check.dependencies.some((urn) => urn.endsWith("::sagemaker-endpoint")));
  });

  it("the fake's answers are what the SDK's own deserialisation reads back", async () => {
    const described = state({ status: "Updating", config: OLD, pending: NEW, alarms: ["a"] });
    fake.play([described]);
    const client = new SageMakerClient({
      region: REGION,
      endpoint: fake.service.endpoint,
      credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" },
    });
    try {
      const { $metadata, ...read } = await client.send(
        new DescribeEndpointCommand({ EndpointName: NAME }),
      );
      assert.equal($metadata.httpStatusCode, 200);
      assert.deepEqual(read, described);
    } finally {
      client.destroy();
    }
  });

  it("in service on the new configuration: create succeeds and says so", async () => {
    fake.play([state({ status: "InService", config: NEW })]);
    const { result, lines } = await printed(() => host.create(check, as()));
    assert.equal(result.properties.status, "InService");
    assert.equal(result.id, `${NAME}-rollout`);
    assert.match(lines, new RegExp(`endpoint rollout: checking that ${NAME} ends on ${NEW}`));
    assert.match(lines, new RegExp(`${NAME} is InService on ${NEW}`));
    assert.equal(fake.describes, 1);
  });

  it("updating, then in service: waits and prints where the rollout stands", async () => {
    fake.play([
      state({
        status: "Updating",
        config: OLD,
        pending: NEW,
        alarms: ["iris-5xx", "iris-latency"],
      }),
      state({ status: "Updating", config: OLD, pending: NEW }),
      state({ status: "InService", config: NEW }),
    ]);
    const { result, lines } = await printed(() =>
      host.update(check, "x", as({ endpointConfigName: OLD }), as()),
    );
    assert.equal(result.status, "InService");
    assert.match(
      lines,
      new RegExp(
        `${NAME} is Updating, deploying ${NEW} \\(blue/green CANARY, bake 600 s; rollback alarms iris-5xx, iris-latency\\); \\d+ s of at most 20 s`,
      ),
    );
    assert.equal(fake.describes, 3);
  });

  it("rolled back: fails, naming both configurations, SageMaker's reason, the alarms and what to do", async () => {
    fake.play([
      state({
        status: "InService",
        config: OLD,
        failureReason: "Alarm iris-5xx went into ALARM state during the baking period",
        alarms: ["iris-5xx", "iris-latency"],
      }),
    ]);
    await assert.rejects(host.create(check, as()), (e: Error) =>
      new RegExp(
        `SageMaker rolled endpoint ${NAME} back: it serves configuration ${OLD}, not ${NEW} that this update deployed\\. SageMaker says: Alarm iris-5xx went into ALARM.*Last deployment: blue/green CANARY, bake 600 s; rollback alarms iris-5xx, iris-latency\\..*pulumi config set iris-mlops:model\\.version`,
        "s",
      ).test(e.message),
    );
  });

  it("retries throttling (the SDK's standard retries) and then reads the answer", async () => {
    const throttled = new AwsFault(400, "ThrottlingException", "Rate exceeded");
    fake.play([throttled, throttled, state({ status: "InService", config: NEW })]);
    const { result } = await printed(() => host.create(check, as()));
    assert.equal(result.properties.status, "InService");
    assert.equal(fake.describes, 3);
  });

  it("a failed endpoint or a failed rollback fails with SageMaker's reason", async () => {
    for (const status of ["Failed", "UpdateRollbackFailed", "OutOfService"] as const) {
      fake.play([
        state({
          status,
          config: OLD,
          failureReason: "The primary container failed the ping health check",
        }),
      ]);
      await assert.rejects(host.create(check, as()), (e: Error) =>
        new RegExp(
          `endpoint ${NAME} is ${status} \\(configuration ${OLD}\\)\\. SageMaker says: The primary container failed the ping`,
        ).test(e.message),
      );
    }
  });

  it("an endpoint SageMaker does not know fails at once, unretried", async () => {
    fake.play([new AwsFault(400, "ValidationException", `Could not find endpoint "${NAME}".`)]);
    await assert.rejects(host.create(check, as()), (e: Error) =>
      /DescribeEndpoint .* failed after \d+ s: ValidationException: Could not find endpoint/.test(
        e.message,
      ),
    );
    assert.equal(fake.describes, 1);
  });

  it("still updating at the bound: fails saying so, within the bound", async () => {
    fake.play([state({ status: "Updating", config: OLD, pending: NEW })]);
    const started = Date.now();
    await assert.rejects(host.create(check, as({ timeoutSeconds: 2 })), (e: Error) =>
      new RegExp(`endpoint ${NAME} is still Updating after \\d+ s`).test(e.message),
    );
    // generous: two seconds of waiting, polls of a few milliseconds each
    assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    assert.ok(fake.describes >= 2);
  });

  it("a SageMaker that never answers: the call is cut at the wait's bound", async () => {
    // an answer that would pass, if it came in time
    fake.play([new Delayed(60_000, state({ status: "InService", config: NEW }))]);
    const started = Date.now();
    await assert.rejects(
      host.create(check, as({ timeoutSeconds: 1 })),
      /DescribeEndpoint .* failed after/,
    );
    assert.ok(Date.now() - started < 12_000, `${Date.now() - started} ms`);
  });

  it("checks again only for a new configuration or endpoint, and deletes without a call", async () => {
    assert.deepEqual(await host.diff(check, "x", as(), as()), { changes: "none", replaces: [] });
    assert.deepEqual(await host.diff(check, "x", as(), as({ timeoutSeconds: 99 })), {
      changes: "none",
      replaces: [],
    });
    assert.deepEqual(await host.diff(check, "x", as({ endpointConfigName: OLD }), as()), {
      changes: "some",
      replaces: [],
    });
    fake.play([state({ status: "InService", config: NEW })]);
    await host.delete(check, "x", as());
    assert.equal(fake.describes, 0);
  });
});
