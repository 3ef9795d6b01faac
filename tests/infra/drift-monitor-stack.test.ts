/**
 * The stack's DriftMonitor (`iris-mlops:monitor`): created when there is capture to watch, watching
 * the model the stack serves, on the stack's dashboard and alert topic, with `driftReportUrl`; and
 * the config's checks. Until TrafficCapture is in the stack, `monitor.capture` names the capture.
 */
import { strict as assert } from "node:assert";
import type * as pulumi from "@pulumi/pulumi";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";
import { irisStack } from "../../stacks/program.js";
import { FIXTURE_HANDLER, settle, tempDir, useMocks, value } from "./harness.js";

const base = {
  "iris-mlops:model": { trees: 10, folds: 2 },
  "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER },
  "iris-mlops:alerts": { email: "oncall@example.com" },
};
const MONITOR = {
  "iris-mlops:monitor": {
    capture: "s3://capture-bucket-1/capture/",
    handlerEntry: FIXTURE_HANDLER,
  },
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

  it("is not created without capture to watch", async () => {
    const { mocks, outputs } = await run(base);
    assert.equal(mocks.all("iris-mlops:index:DriftMonitor").length, 0);
    assert.equal(outputs.driftReportUrl, undefined);
  });

  it("watches the served model, alarms to the topic, shows on the dashboard and says where the report is", async () => {
    const { mocks, outputs } = await run({ ...base, ...MONITOR });
    await settle(mocks, [outputs.driftReportUrl as pulumi.Output<string>]);
    assert.equal(mocks.all("iris-mlops:index:DriftMonitor").length, 1);
    assert.equal(
      await value(outputs.driftReportUrl as pulumi.Output<string>),
      "s3://capture-bucket-1/reports/latest.html",
    );
    const fn = mocks.one("aws:lambda/function:Function", "monitor-function");
    const api = mocks.one("aws:lambda/function:Function", "api-function");
    const env = fn.inputs.environment.variables;
    assert.equal(env.MODEL_KEY, api.inputs.environment.variables.MODEL_KEY);
    assert.equal(env.MODEL_SHA256, api.inputs.environment.variables.MODEL_SHA256);
    assert.equal(env.CAPTURE_BUCKET, "capture-bucket-1");
    const topic = mocks.one("aws:sns/topic:Topic").state.arn;
    const drift = mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", "monitor-drift-alarm");
    assert.deepEqual(drift.inputs.alarmActions, [topic]);
    const body = JSON.parse(mocks.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
    const titles = body.widgets.map((w: { properties: { title?: string } }) => w.properties.title);
    assert.ok(titles.includes("Drift verdict (0 ok, 1 warn, 2 drift)"));
    const alarms = body.widgets.at(-1).properties.alarms as string[];
    assert.ok(alarms.includes(drift.state.arn));
  });

  it("is off with monitor.enabled false", async () => {
    const { mocks } = await run({
      ...base,
      "iris-mlops:monitor": { ...MONITOR["iris-mlops:monitor"], enabled: "false" },
    });
    assert.equal(mocks.all("iris-mlops:index:DriftMonitor").length, 0);
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
    refused(
      { capture: "s3://b/capture" },
      /iris-mlops:monitor\.capture: must be s3:\/\/<bucket>\/<prefix>\//,
    );
    refused(
      { schedule: "hourly" },
      /iris-mlops:monitor\.schedule: scheduleExpression must be rate/,
    );
    refused({ windowHours: 0 }, /iris-mlops:monitor\.windowHours/);
    refused({ reportsPrefix: "reports" }, /iris-mlops:monitor\.reportsPrefix/);
    refused({ enable: true }, /iris-mlops:monitor/);
  });
});
