/**
 * DriftMonitor under Pulumi mocks: the schedule (expression, no flexible window, retries, target,
 * role), the function's IAM exact and least privilege (each action in AWS's catalogue, the calls a
 * run makes allowed and their neighbours refused, no statement dead weight), the scheduler role's
 * trust, the alarms' metrics, dimensions and thresholds, the dashboard widgets and the checks of
 * plain arguments.
 */
import { strict as assert } from "node:assert";
import { DriftMonitor, type DriftMonitorArgs } from "../../components/drift-monitor.js";
import { rateSeconds, runPeriods } from "../../components/drift-monitor-metrics.js";
import { dashboardWidgets } from "../../components/inference-dashboard.js";
import { ArgumentError } from "../../components/validate.js";
import { FEATURES } from "../../core/features.js";
import { DEFAULT_THRESHOLDS } from "../../monitoring/drift.js";
import { checkDocument } from "../helpers/iam-catalogue.js";
import { evaluate, type Principal, type Request } from "../helpers/iam-evaluator.js";
import type { PolicyDocument } from "../helpers/iam-policy.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  LAMBDA_MODEL,
  policyOf,
  REGION,
  type Recorder,
  settle,
  useMocks,
  value,
} from "./harness.js";

const CAPTURE = "capture-bucket-123";
const BASE: DriftMonitorArgs = {
  ...LAMBDA_MODEL,
  captureBucketName: CAPTURE,
  handlerEntry: FIXTURE_HANDLER,
  alarmActions: ["arn:aws:sns:eu-west-1:123456789012:alerts"],
};

async function build(args: Partial<DriftMonitorArgs> = {}) {
  const mocks = await useMocks();
  const monitor = new DriftMonitor("monitor", { ...BASE, ...args });
  await settle(mocks, [monitor.functionName, monitor.scheduleArn, monitor.dashboardWidgets]);
  return { mocks, monitor };
}

const s3 = (path: string) => `arn:aws:s3:::${path}`;
const doc = (policy: string) => JSON.parse(policy) as PolicyDocument;

describe("DriftMonitor", function () {
  this.timeout(60000);

  describe("with defaults", () => {
    let mocks: Recorder;
    let monitor: DriftMonitor;
    let fnRole: Principal;
    before(async () => {
      ({ mocks, monitor } = await build());
      fnRole = {
        arn: "fn-role",
        identity: [doc(mocks.one("aws:iam/rolePolicy:RolePolicy", "monitor-policy").inputs.policy)],
      };
    });

    it("registers as iris-mlops:index:DriftMonitor with children named after it", () => {
      assert.equal(mocks.one("iris-mlops:index:DriftMonitor").name, "monitor");
      for (const r of mocks.resources.filter((x) => x.custom)) assert.match(r.name, /^monitor-/);
    });

    it("runs hourly with no flexible window, retries, and invokes the function through its own role", async () => {
      const schedule = mocks.one("aws:scheduler/schedule:Schedule").inputs;
      const fn = mocks.one("aws:lambda/function:Function");
      const role = mocks.one("aws:iam/role:Role", "monitor-scheduler-role");
      assert.equal(schedule.scheduleExpression, "rate(1 hour)");
      assert.deepEqual(schedule.flexibleTimeWindow, { mode: "OFF" });
      assert.equal(schedule.state, "ENABLED");
      assert.equal(schedule.target.arn, fn.state.arn);
      assert.equal(schedule.target.roleArn, role.state.arn);
      assert.deepEqual(schedule.target.retryPolicy, {
        maximumRetryAttempts: 2,
        maximumEventAgeInSeconds: 3600,
      });
      assert.equal(
        await value(monitor.scheduleArn),
        mocks.one("aws:scheduler/schedule:Schedule").state.arn,
      );
      assert.match(
        await value(monitor.scheduleArn),
        /^arn:aws:scheduler:eu-west-1:\d+:schedule\/default\//,
      );
    });

    it("lets only Scheduler of this account assume the scheduler role, to invoke exactly this function", async () => {
      const role = mocks.one("aws:iam/role:Role", "monitor-scheduler-role").inputs;
      const trust = doc(role.assumeRolePolicy);
      const assume = (account: string): Request => ({
        action: "sts:AssumeRole",
        resource: "*",
        context: { "aws:SourceAccount": account },
      });
      const scheduler = { arn: "scheduler.amazonaws.com", identity: [], resourcePolicies: [trust] };
      assert.equal(evaluate(scheduler, assume(ACCOUNT)), "allowed");
      assert.notEqual(evaluate(scheduler, assume("210987654321")), "allowed");
      assert.notEqual(
        evaluate({ ...scheduler, arn: "lambda.amazonaws.com" }, assume(ACCOUNT)),
        "allowed",
      );
      const policy = policyOf(
        mocks.one("aws:iam/rolePolicy:RolePolicy", "monitor-scheduler-policy"),
      );
      const fnArn = mocks.one("aws:lambda/function:Function").state.arn;
      assert.deepEqual(policy.Statement, [
        { Sid: "InvokeMonitor", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: fnArn },
      ]);
      for (const kind of ["identity", "trust"] as const) {
        const document = kind === "trust" ? trust : (policy as PolicyDocument);
        assert.deepEqual(await checkDocument({ origin: "scheduler", kind, document }), []);
      }
    });

    it("gives the function exactly the capture prefix, the model key, the reports prefix and its logs", async () => {
      const policy = fnRole.identity[0] as PolicyDocument;
      assert.deepEqual(
        await checkDocument({ origin: "monitor", kind: "identity", document: policy }),
        [],
      );
      const logs = mocks.one("aws:cloudwatch/logGroup:LogGroup").state.arn;
      const needed: Request[] = [
        {
          action: "s3:ListBucket",
          resource: s3(CAPTURE),
          context: { "s3:prefix": "capture/lambda/2026/12/02/" },
        },
        { action: "s3:GetObject", resource: s3(`${CAPTURE}/capture/lambda/2026/12/02/13/x.gz`) },
        {
          action: "s3:GetObject",
          resource: s3(`${LAMBDA_MODEL.modelBucketName}/${LAMBDA_MODEL.modelKey}`),
        },
        { action: "s3:PutObject", resource: s3(`${CAPTURE}/reports/2026/12/02/130405Z.html`) },
        { action: "s3:PutObject", resource: s3(`${CAPTURE}/reports/latest.html`) },
        { action: "logs:CreateLogStream", resource: `${logs}:log-stream:x` },
        { action: "logs:PutLogEvents", resource: `${logs}:log-stream:x` },
      ];
      for (const r of needed)
        assert.equal(evaluate(fnRole, r), "allowed", `${r.action} ${r.resource}`);
      const refused: Request[] = [
        { action: "s3:ListBucket", resource: s3(CAPTURE), context: { "s3:prefix": "reports/" } },
        { action: "s3:ListBucket", resource: s3(CAPTURE) },
        { action: "s3:GetObject", resource: s3(`${CAPTURE}/other/x`) },
        { action: "s3:GetObject", resource: s3(`${CAPTURE}/reports/latest.html`) },
        // another version of the registry: the monitor compares with the one it was given
        {
          action: "s3:GetObject",
          resource: s3(`${LAMBDA_MODEL.modelBucketName}/models/fedcba9876543210/model.tar.gz`),
        },
        { action: "s3:PutObject", resource: s3(`${CAPTURE}/capture/lambda/x`) },
        {
          action: "s3:PutObject",
          resource: s3(`${LAMBDA_MODEL.modelBucketName}/${LAMBDA_MODEL.modelKey}`),
        },
        { action: "s3:DeleteObject", resource: s3(`${CAPTURE}/reports/latest.html`) },
        { action: "kms:Decrypt", resource: `arn:aws:kms:${REGION}:${ACCOUNT}:key/x` },
        { action: "cloudwatch:PutMetricData", resource: "*" },
      ];
      for (const r of refused)
        assert.notEqual(evaluate(fnRole, r), "allowed", `${r.action} ${r.resource}`);
      // no statement is dead weight: each, removed, refuses a needed call
      for (const st of policy.Statement as PolicyDocument["Statement"][]) {
        const without = {
          ...policy,
          Statement: (policy.Statement as unknown[]).filter((s) => s !== st),
        };
        const principal = { ...fnRole, identity: [without as PolicyDocument] };
        assert.ok(
          needed.some((r) => evaluate(principal, r) !== "allowed"),
          JSON.stringify(st),
        );
      }
    });

    it("sets the function's environment from its arguments", () => {
      const fn = mocks.one("aws:lambda/function:Function").inputs;
      assert.equal(fn.runtime, "nodejs22.x");
      assert.equal(fn.timeout, 300);
      assert.equal(fn.memorySize, 1024);
      const env = fn.environment.variables;
      assert.deepEqual(
        { ...env, NODE_OPTIONS: undefined },
        {
          MODEL_BUCKET: LAMBDA_MODEL.modelBucketName,
          MODEL_KEY: LAMBDA_MODEL.modelKey,
          MODEL_SHA256: LAMBDA_MODEL.modelSha256,
          CAPTURE_BUCKET: CAPTURE,
          CAPTURE_PREFIX: "capture/",
          REPORTS_BUCKET: CAPTURE,
          REPORTS_PREFIX: "reports/",
          DRIFT_WINDOW_HOURS: "24",
          NODE_OPTIONS: undefined,
        },
      );
    });

    it("alarms on drift, the not-Iris share, errors and a missing run, to the alert topic", async () => {
      const fn = await value(monitor.functionName);
      const alarm = (n: string) =>
        mocks.one("aws:cloudwatch/metricAlarm:MetricAlarm", `monitor-${n}-alarm`).inputs;
      const app = { service: "iris-mlops-drift", function_name: fn };
      const drift = alarm("drift");
      assert.deepEqual(
        [drift.namespace, drift.metricName, drift.dimensions, drift.statistic, drift.period],
        ["IrisMlops", "drift_verdict", app, "Maximum", 3600],
      );
      assert.equal(drift.threshold, 2);
      assert.equal(drift.comparisonOperator, "GreaterThanOrEqualToThreshold");
      const notIris = alarm("not-iris");
      assert.deepEqual(
        [notIris.metricName, notIris.threshold],
        ["not_iris_share", DEFAULT_THRESHOLDS.not_iris_share.drift],
      );
      const errors = alarm("errors");
      assert.deepEqual(
        [errors.namespace, errors.metricName, errors.dimensions, errors.threshold],
        ["AWS/Lambda", "Errors", { FunctionName: fn }, 1],
      );
      const noRun = alarm("no-run");
      assert.deepEqual(
        [noRun.metricName, noRun.statistic, noRun.comparisonOperator, noRun.threshold],
        ["drift_verdict", "SampleCount", "LessThanThreshold", 1],
      );
      assert.equal(noRun.treatMissingData, "breaching");
      assert.equal(noRun.evaluationPeriods, 2);
      assert.equal(noRun.datapointsToAlarm, 2);
      for (const a of [drift, notIris, errors]) assert.equal(a.treatMissingData, "notBreaching");
      for (const a of [drift, notIris, errors, noRun])
        assert.deepEqual(a.alarmActions, BASE.alarmActions);
    });

    it("gives metric helpers and dashboard widgets over the same metrics", async () => {
      const fn = await value(monitor.functionName);
      assert.equal(monitor.metricPsi("petal_width").metricName, "drift_psi_petal_width");
      assert.equal(monitor.metricVerdict().period, 3600);
      assert.deepEqual(Object.keys(monitor.metricNotIrisShare({ modelVersion: "v" }).dimensions), [
        "service",
        "function_name",
        "ModelVersion",
      ]);
      const widgets = await value(monitor.dashboardWidgets);
      assert.equal(widgets.length, 4);
      const lines = widgets.flatMap((w) => (w.properties as { metrics: unknown[][] }).metrics);
      const names = lines.map((l) => l[1]);
      for (const f of FEATURES)
        assert.ok(names.includes(`drift_psi_${f}`) && names.includes(`drift_ks_${f}`), f);
      assert.ok(
        names.includes("drift_verdict") &&
          names.includes("not_iris_share") &&
          names.includes("rows"),
      );
      for (const l of lines)
        assert.deepEqual(l.slice(0, 6), [
          "IrisMlops",
          l[1],
          "service",
          "iris-mlops-drift",
          "function_name",
          fn,
        ]);
      // the stack's dashboard places them after its graphs and before the alarms
      const body = dashboardWidgets({
        region: REGION,
        fn: "f",
        api: "a",
        endpoint: undefined,
        alarms: ["arn:a"],
        species: [],
        ns: "IrisMlops",
        service: "iris-mlops",
        extra: widgets,
      });
      assert.equal(body.at(-1)?.type, "alarm");
      assert.equal(
        (body.at(-2)?.properties as { title?: string } | undefined)?.title,
        "Not-Iris share and rows read",
      );
    });

    it("says where the reports are", async () => {
      assert.equal(await value(monitor.reportUrlPrefix), `s3://${CAPTURE}/reports/`);
      assert.equal(await value(monitor.latestReportUrl), `s3://${CAPTURE}/reports/latest.html`);
    });
  });

  it("with KMS keys: decrypts the capture and model, encrypts the reports, nothing more", async () => {
    const key = (n: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${n}`;
    const { mocks } = await build({
      captureKmsKeyArn: key("capture"),
      modelKmsKeyArn: key("model"),
      reportsBucketName: "reports-bucket-1",
      reportsPrefix: "",
      reportsKmsKeyArn: key("reports"),
    });
    const policy = policyOf(mocks.one("aws:iam/rolePolicy:RolePolicy", "monitor-policy"));
    const by = Object.fromEntries(policy.Statement.map((s) => [s.Sid, s]));
    assert.deepEqual(by.Decrypt?.Resource, [key("capture"), key("model")]);
    assert.deepEqual(
      [by.EncryptReports?.Action, by.EncryptReports?.Resource],
      ["kms:GenerateDataKey", key("reports")],
    );
    assert.equal(by.WriteReports?.Resource, s3("reports-bucket-1/*"));
    assert.deepEqual(
      await checkDocument({ origin: "kms", kind: "identity", document: policy as PolicyDocument }),
      [],
    );
  });

  it("a daily schedule looks at one day for a missing run (CloudWatch evaluates at most a day)", async () => {
    const { mocks } = await build({ scheduleExpression: "rate(1 day)", alarms: true });
    const noRun = mocks.one(
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "monitor-no-run-alarm",
    ).inputs;
    assert.deepEqual([noRun.period, noRun.evaluationPeriods], [86400, 1]);
    assert.equal(
      mocks.one("aws:scheduler/schedule:Schedule").inputs.scheduleExpression,
      "rate(1 day)",
    );
  });

  it("creates no alarms when asked not to", async () => {
    const { mocks, monitor } = await build({ alarms: false });
    assert.equal(mocks.all("aws:cloudwatch/metricAlarm:MetricAlarm").length, 0);
    assert.equal(monitor.alarms, undefined);
  });

  it("refuses plain arguments AWS or the runs would refuse, by name", async () => {
    await useMocks();
    const refused = (args: Partial<DriftMonitorArgs>, pattern: RegExp) =>
      assert.throws(
        () => new DriftMonitor("m", { ...BASE, ...args }),
        (e: Error) => e instanceof ArgumentError && pattern.test(e.message),
      );
    refused({ scheduleExpression: "every hour" }, /scheduleExpression must be rate/);
    refused({ scheduleExpression: "rate(2 hour)" }, /scheduleExpression/);
    refused({ scheduleExpression: "rate(1 hours)" }, /scheduleExpression/);
    refused({ windowHours: 0 }, /windowHours must be an integer from 1 to 744/);
    refused({ timeout: 901 }, /timeout/);
    refused({ capturePrefix: "capture" }, /capturePrefix must be "" or end in "\/"/);
    refused({ reportsPrefix: "capture/reports/" }, /inside capturePrefix/);
    refused({ capturePrefix: "" }, /inside capturePrefix/);
    refused({ logRetentionInDays: 15 }, /logRetentionInDays/);
  });

  it("reads run intervals from rate expressions", () => {
    assert.equal(rateSeconds("rate(1 hour)"), 3600);
    assert.equal(rateSeconds("rate(15 minutes)"), 900);
    assert.equal(rateSeconds("rate(2 days)"), 172800);
    assert.equal(rateSeconds("cron(0 6 * * ? *)"), undefined);
    assert.deepEqual(runPeriods("rate(15 minutes)"), { period: 900, noRunPeriods: 2 });
    assert.deepEqual(runPeriods("rate(2 days)"), { period: 86400, noRunPeriods: 1 });
    assert.deepEqual(runPeriods("cron(0 6 * * ? *)"), { period: 86400, noRunPeriods: 1 });
  });
});
