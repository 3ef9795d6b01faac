/**
 * The stack's DriftMonitor (`iris-mlops:monitor`): created whenever the stack captures traffic,
 * watching exactly the stack's own TrafficCapture (bucket, prefix, KMS key) and the model the
 * stack serves, on the stack's dashboard and alert topic, with `driftReportUrl`; none with capture
 * off; and the config's checks.
 */
import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";
import { irisStack } from "../../stacks/program.js";
import {
  FIXTURE_HANDLER,
  policyOf,
  type Recorder,
  settle,
  tempDir,
  useMocks,
  value,
} from "./harness.js";

// capture is on by default (capture.sample 0.1), and with it the monitor
const base = {
  "iris-mlops:model": { trees: 10, folds: 2 },
  "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER },
  "iris-mlops:alerts": { email: "oncall@example.com" },
  "iris-mlops:monitor": { handlerEntry: FIXTURE_HANDLER },
};
const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const statement = (mocks: Recorder, sid: string) => {
  const found = policyOf(mocks.one("aws:iam/rolePolicy:RolePolicy", "monitor-policy")).Statement;
  return found.find((s) => s.Sid === sid);
};

describe("the stack's DriftMonitor", function () {
  this.timeout(120000);
  let build: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    build = await tempDir("monitor-stack");
  });
  after(async () => build.remove());

  async function run(config: Record<string, unknown>) {
    const mocks = await useMocks(config);
    const outputs = await irisStack(undefined, { buildRoot: build.dir });
    await settle(mocks, [outputs.apiUrl, outputs.dashboardName]);
    return { mocks, outputs };
  }

  it("is not created with capture off (capture.sample 0): nothing to watch", async () => {
    const { mocks, outputs } = await run({ ...base, "iris-mlops:capture": { sample: 0 } });
    assert.equal(mocks.all("iris-mlops:index:TrafficCapture").length, 0);
    assert.equal(mocks.all("iris-mlops:index:DriftMonitor").length, 0);
    assert.deepEqual(
      mocks.all("aws:lambda/function:Function").map((f) => f.name),
      ["api-function"],
    );
    assert.equal(outputs.driftReportUrl, undefined);
  });

  it("reads exactly the bucket and prefix of the stack's own capture", async () => {
    const { mocks, outputs } = await run(base);
    await settle(mocks, [outputs.captureS3Uri as pulumi.Output<string>]);
    const capture = mocks.one("aws:s3/bucket:Bucket", "capture-bucket").state.bucket as string;
    assert.equal(
      await value(outputs.captureS3Uri as pulumi.Output<string>),
      `s3://${capture}/capture`,
    );
    const env = mocks.one("aws:lambda/function:Function", "monitor-function").inputs.environment
      .variables;
    assert.equal(env.CAPTURE_BUCKET, capture);
    assert.equal(env.CAPTURE_PREFIX, "capture/");
    assert.equal(env.REPORTS_BUCKET, capture);
    assert.equal(env.REPORTS_PREFIX, "reports/");
    assert.deepEqual(statement(mocks, "ListCapture"), {
      Sid: "ListCapture",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: `arn:aws:s3:::${capture}`,
      Condition: { StringLike: { "s3:prefix": ["capture/*"] } },
    });
    assert.equal(statement(mocks, "ReadCapture")?.Resource, `arn:aws:s3:::${capture}/capture/*`);
    assert.equal(statement(mocks, "WriteReports")?.Resource, `arn:aws:s3:::${capture}/reports/*`);
    // no KMS key on the stack: SSE-S3, no key statements
    assert.equal(statement(mocks, "Decrypt"), undefined);
    assert.equal(statement(mocks, "EncryptReports"), undefined);
  });

  it("uses the capture's KMS key to read the capture and write the reports", async () => {
    const { mocks } = await run({ ...base, "iris-mlops:bucket": { kmsKeyArn: KEY } });
    assert.deepEqual(statement(mocks, "Decrypt")?.Resource, [KEY]);
    assert.equal(statement(mocks, "EncryptReports")?.Resource, KEY);
  });

  it("watches the served model, alarms to the topic, shows on the dashboard and says where the report is", async () => {
    const { mocks, outputs } = await run(base);
    await settle(mocks, [outputs.driftReportUrl as pulumi.Output<string>]);
    assert.equal(mocks.all("iris-mlops:index:DriftMonitor").length, 1);
    const capture = mocks.one("aws:s3/bucket:Bucket", "capture-bucket").state.bucket as string;
    assert.equal(
      await value(outputs.driftReportUrl as pulumi.Output<string>),
      `s3://${capture}/reports/latest.html`,
    );
    const fn = mocks.one("aws:lambda/function:Function", "monitor-function");
    const api = mocks.one("aws:lambda/function:Function", "api-function");
    const env = fn.inputs.environment.variables;
    assert.equal(env.MODEL_KEY, api.inputs.environment.variables.MODEL_KEY);
    assert.equal(env.MODEL_SHA256, api.inputs.environment.variables.MODEL_SHA256);
    const topic = mocks.one("aws:sns/topic:Topic").state.arn;
    const drift = mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", "monitor-drift-alarm");
    assert.deepEqual(drift.inputs.alarmActions, [topic]);
    const body = JSON.parse(mocks.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
    const titles = body.widgets.map((w: { properties: { title?: string } }) => w.properties.title);
    assert.ok(titles.includes("Drift verdict (0 ok, 1 warn, 2 drift)"));
    const alarms = body.widgets.at(-1).properties.alarms as string[];
    assert.ok(alarms.includes(drift.state.arn));
  });

  it("is off with monitor.enabled false, capture staying on", async () => {
    const { mocks, outputs } = await run({
      ...base,
      "iris-mlops:monitor": { handlerEntry: FIXTURE_HANDLER, enabled: "false" },
    });
    assert.equal(mocks.all("iris-mlops:index:TrafficCapture").length, 1);
    assert.equal(mocks.all("iris-mlops:index:DriftMonitor").length, 0);
    assert.equal(outputs.driftReportUrl, undefined);
  });

  it("checks the monitor's config by key", () => {
    const parsed = parseStackConfig({ "iris-mlops:monitor": "{}" }).monitor;
    assert.deepEqual(parsed, {
      enabled: true,
      schedule: "rate(1 hour)",
      windowHours: 24,
      reportsPrefix: "reports/",
    });
    const refused = (monitor: unknown, pattern: RegExp) =>
      assert.throws(
        () => parseStackConfig({ "iris-mlops:monitor": JSON.stringify(monitor) }),
        (e: Error) => e instanceof ConfigError && pattern.test(e.message),
      );
    // the stand-in is gone: the monitor watches the stack's own capture
    refused({ capture: "s3://b/capture/" }, /iris-mlops:monitor: Unrecognized key: "capture"/);
    refused(
      { schedule: "hourly" },
      /iris-mlops:monitor\.schedule: scheduleExpression must be rate/,
    );
    refused({ windowHours: 0 }, /iris-mlops:monitor\.windowHours/);
    refused({ reportsPrefix: "reports" }, /iris-mlops:monitor\.reportsPrefix/);
    refused({ enable: true }, /iris-mlops:monitor/);
  });
});
