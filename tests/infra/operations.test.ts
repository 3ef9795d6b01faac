/**
 * Alarms and the dashboard: each alarm's metric, statistic, threshold and dimensions, its
 * actions, and the switches that turn them off; the dashboard's widgets; the stack's alert topic.
 */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { dashboardWidgets, InferenceDashboard } from "../../components/inference-dashboard.js";
import {
  LambdaInferenceApi,
  type LambdaInferenceApiArgs,
} from "../../components/lambda-inference-api.js";
import {
  SageMakerEndpoint,
  type SageMakerEndpointArgs,
  vcpusOf,
} from "../../components/sagemaker-endpoint.js";
import { ConfigError, parseStackConfig } from "../../stacks/config.js";
import { irisStack } from "../../stacks/program.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  LAMBDA_MODEL,
  REGION,
  type Recorder,
  type Registered,
  settle,
  tempDir,
  useMocks,
  value,
} from "./harness.js";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:alerts`;
const DIGEST_URI = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/image@sha256:${"b".repeat(64)}`;

const alarm = (mocks: Recorder, name: string): Registered["inputs"] =>
  mocks.one(ALARM, name).inputs;
/** The queries of a metric-math alarm, by id. */
// biome-ignore lint/suspicious/noExplicitAny: the queries as the SDK serialised them
const queries = (inputs: Registered["inputs"]): Record<string, any> =>
  Object.fromEntries((inputs.metricQueries as { id: string }[]).map((q) => [q.id, q]));

async function lambdaApi(args: Partial<LambdaInferenceApiArgs> = {}) {
  const mocks = await useMocks();
  const api = new LambdaInferenceApi("api", {
    ...LAMBDA_MODEL,
    handlerEntry: FIXTURE_HANDLER,
    ...args,
  });
  await settle(mocks, [api.apiUrl, api.functionName]);
  return { mocks, api };
}

async function endpoint(args: Partial<SageMakerEndpointArgs> = {}) {
  const mocks = await useMocks({}, "prod");
  const sm = new SageMakerEndpoint("sagemaker", {
    ...LAMBDA_MODEL,
    modelManifestSha256: "c".repeat(64),
    imageUri: DIGEST_URI,
    repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/image`,
    ...args,
  });
  await settle(mocks, [sm.endpointName]);
  return { mocks, sm };
}

describe("alarms", () => {
  describe("LambdaInferenceApi", () => {
    let mocks: Recorder;
    let api: LambdaInferenceApi;
    let fn: string;
    let apiId: string;
    before(async () => {
      ({ mocks, api } = await lambdaApi({ alarmActions: [TOPIC], timeout: 20 }));
      fn = await value(api.functionName);
      apiId = await value(api.apiId);
    });

    it("creates seven alarms, each notifying the given actions when it fires and when it clears", () => {
      const alarms = mocks.all(ALARM);
      assert.deepEqual(alarms.map((a) => a.name).sort(), [
        "api-4xx-alarm",
        "api-5xx-alarm",
        "api-canary-duration-alarm",
        "api-canary-errors-alarm",
        "api-duration-alarm",
        "api-errors-alarm",
        "api-throttles-alarm",
      ]);
      for (const a of alarms) {
        assert.deepEqual(a.inputs.alarmActions, [TOPIC], a.name);
        assert.deepEqual(a.inputs.okActions, [TOPIC], a.name);
        assert.equal(a.inputs.treatMissingData, "notBreaching", a.name);
        assert.ok(a.inputs.alarmDescription.length > 40, a.name);
      }
    });

    it("fires on any function error in a minute (it guards rollouts) or throttle in 5 minutes", () => {
      for (const [name, metricName, period] of [
        ["api-errors-alarm", "Errors", 60],
        ["api-throttles-alarm", "Throttles", 300],
      ] as const) {
        const a = alarm(mocks, name);
        assert.equal(a.namespace, "AWS/Lambda");
        assert.equal(a.metricName, metricName);
        assert.deepEqual(a.dimensions, { FunctionName: fn });
        assert.equal(a.statistic, "Sum");
        assert.equal(a.period, period, name);
        assert.equal(a.comparisonOperator, "GreaterThanOrEqualToThreshold");
        assert.equal(a.threshold, 1);
        assert.equal(a.evaluationPeriods, 1);
      }
    });

    it("fires when the p99 duration passes 80% of the timeout in 2 of 3 periods", () => {
      const a = alarm(mocks, "api-duration-alarm");
      assert.equal(a.metricName, "Duration");
      assert.deepEqual(a.dimensions, { FunctionName: fn });
      assert.equal(a.extendedStatistic, "p99");
      assert.equal(a.statistic, undefined);
      assert.equal(a.threshold, 16000); // 20 s timeout
      assert.equal(a.evaluationPeriods, 3);
      assert.equal(a.datapointsToAlarm, 2);
    });

    it("fires on the API's 5xx rate above 1% in a minute (a guard) and its 4xx rate above 20% (past 20 requests) in 5", () => {
      for (const [name, metric, threshold, minRequests, period] of [
        ["api-5xx-alarm", "5xx", 1, 1, 60],
        ["api-4xx-alarm", "4xx", 20, 20, 300],
      ] as const) {
        const a = alarm(mocks, name);
        assert.equal(a.threshold, threshold);
        assert.equal(a.metricName, undefined);
        const q = queries(a);
        for (const [id, metricName] of [
          ["requests", "Count"],
          ["errors", metric],
        ]) {
          assert.deepEqual(q[id as string], {
            id,
            metric: {
              namespace: "AWS/ApiGateway",
              metricName,
              dimensions: { ApiId: apiId },
              period,
              stat: "Sum",
            },
          });
        }
        assert.equal(
          (q.rate as { expression: string }).expression,
          `IF(requests >= ${minRequests}, 100 * errors / requests, 0)`,
        );
        assert.equal((q.rate as { returnData: boolean }).returnData, true);
      }
    });

    it("watches the newest version through the live alias, by minute: any error, or p99 near the timeout in 2 of 3", async () => {
      const version = await value(api.functionVersion);
      assert.match(version, /^\d+$/);
      const canary = { FunctionName: fn, Resource: `${fn}:live`, ExecutedVersion: version };
      const errors = alarm(mocks, "api-canary-errors-alarm");
      assert.equal(errors.metricName, "Errors");
      assert.deepEqual(errors.dimensions, canary);
      assert.equal(errors.statistic, "Sum");
      assert.equal(errors.period, 60);
      assert.equal(errors.threshold, 1);
      const duration = alarm(mocks, "api-canary-duration-alarm");
      assert.equal(duration.metricName, "Duration");
      assert.deepEqual(duration.dimensions, canary);
      assert.equal(duration.extendedStatistic, "p99");
      assert.equal(duration.period, 60);
      assert.equal(duration.threshold, 16000); // 20 s timeout
      assert.equal(duration.evaluationPeriods, 3);
      assert.equal(duration.datapointsToAlarm, 2);
      // the function-wide p99 stays a 15-minute trend
      assert.equal(alarm(mocks, "api-duration-alarm").period, 300);
    });

    it("takes the rate thresholds from its arguments", async () => {
      const { mocks } = await lambdaApi({
        serverErrorRateThreshold: 5,
        clientErrorRateThreshold: 50,
      });
      assert.equal(alarm(mocks, "api-5xx-alarm").threshold, 5);
      assert.equal(alarm(mocks, "api-4xx-alarm").threshold, 50);
      assert.deepEqual(alarm(mocks, "api-5xx-alarm").alarmActions, []);
    });

    it("creates none with alarms: false (all at once: nothing to guard)", async () => {
      const { mocks, api } = await lambdaApi({ alarms: false, rolloutType: "all-at-once" });
      assert.equal(mocks.all(ALARM).length, 0);
      assert.equal(api.alarms, undefined);
    });
  });

  describe("SageMakerEndpoint", () => {
    it("serverless: 5xx, 4xx rate and p99 model latency on the endpoint's variant, no CPU or memory", async () => {
      const { mocks, sm } = await endpoint({ alarmActions: [TOPIC], modelLatencyThresholdMs: 250 });
      const variant = { EndpointName: await value(sm.endpointName), VariantName: "AllTraffic" };
      assert.deepEqual(
        mocks
          .all(ALARM)
          .map((a) => a.name)
          .sort(),
        ["sagemaker-4xx-alarm", "sagemaker-5xx-alarm", "sagemaker-latency-alarm"],
      );
      const errors = alarm(mocks, "sagemaker-5xx-alarm");
      assert.equal(errors.namespace, "AWS/SageMaker");
      assert.equal(errors.metricName, "Invocation5XXErrors");
      assert.deepEqual(errors.dimensions, variant);
      assert.equal(errors.threshold, 1);
      assert.deepEqual(errors.alarmActions, [TOPIC]);

      const clients = queries(alarm(mocks, "sagemaker-4xx-alarm"));
      assert.equal(
        (clients.requests as { metric: { metricName: string } }).metric.metricName,
        "Invocations",
      );
      assert.deepEqual((clients.errors as { metric: object }).metric, {
        namespace: "AWS/SageMaker",
        metricName: "Invocation4XXErrors",
        dimensions: variant,
        period: 300,
        stat: "Sum",
      });

      const latency = alarm(mocks, "sagemaker-latency-alarm");
      assert.equal(latency.metricName, "ModelLatency");
      assert.equal(latency.extendedStatistic, "p99");
      assert.equal(latency.threshold, 250_000); // microseconds
      assert.deepEqual(latency.dimensions, variant);
    });

    it("instances: CPU above 80% of the instance's vCPUs and memory above 80%, over 15 minutes", async () => {
      const { mocks, sm } = await endpoint({ serverless: false, instanceType: "ml.c5.2xlarge" });
      const variant = { EndpointName: await value(sm.endpointName), VariantName: "AllTraffic" };
      for (const [name, metricName, threshold] of [
        ["sagemaker-cpu-alarm", "CPUUtilization", 640],
        ["sagemaker-memory-alarm", "MemoryUtilization", 80],
      ] as const) {
        const a = alarm(mocks, name);
        assert.equal(a.namespace, "/aws/sagemaker/Endpoints");
        assert.equal(a.metricName, metricName);
        assert.equal(a.statistic, "Average");
        assert.deepEqual(a.dimensions, variant);
        assert.equal(a.threshold, threshold);
        assert.equal(a.evaluationPeriods, 3);
      }
    });

    it("creates none with alarms: false", async () => {
      const { mocks } = await endpoint({ serverless: false, alarms: false });
      assert.equal(mocks.all(ALARM).length, 0);
    });

    it("counts vCPUs from the instance size", () => {
      assert.equal(vcpusOf("ml.t2.medium"), 2);
      assert.equal(vcpusOf("ml.m5.large"), 2);
      assert.equal(vcpusOf("ml.m5.xlarge"), 4);
      assert.equal(vcpusOf("ml.c5.4xlarge"), 16);
      assert.equal(vcpusOf("ml.m5.24xlarge"), 96);
    });
  });
});

describe("InferenceDashboard", () => {
  const context = {
    region: REGION,
    fn: "iris-mlops-prod-api-function-1",
    api: "abc123",
    endpoint: undefined as string | undefined,
    alarms: [] as string[],
    species: ["setosa", "versicolor", "virginica"],
    ns: "IrisMlops",
    service: "iris-mlops",
  };
  const titles = (widgets: ReturnType<typeof dashboardWidgets>) =>
    widgets.map((w) => (w.properties as { title: string }).title);
  const metricsOf = (widgets: ReturnType<typeof dashboardWidgets>, title: string) => {
    const widget = widgets.find((w) => (w.properties as { title: string }).title === title);
    assert.ok(widget, `no widget ${title}`);
    return (widget.properties as { metrics: unknown[][] }).metrics;
  };

  it("shows requests, latency percentiles, errors, cold starts and predictions per species", () => {
    const widgets = dashboardWidgets(context);
    assert.deepEqual(titles(widgets), [
      "Requests per minute",
      "Latency (ms)",
      "Errors per minute",
      "Cold starts",
      "Predictions per species",
    ]);
    assert.deepEqual(
      metricsOf(widgets, "Latency (ms)").map((m) => (m.at(-1) as { stat: string }).stat),
      ["p50", "p90", "p99", "p99"],
    );
    // the handler's EMF metrics, under its namespace and dimensions
    assert.deepEqual(metricsOf(widgets, "Cold starts"), [
      [
        "IrisMlops",
        "ColdStart",
        "service",
        "iris-mlops",
        "function_name",
        context.fn,
        { label: "cold starts", stat: "Sum" },
      ],
    ]);
    assert.deepEqual(
      metricsOf(widgets, "Predictions per species").map((m) => m[1]),
      ["predicted_setosa", "predicted_versicolor", "predicted_virginica", "predicted_not_iris"],
    );
    const errors = JSON.stringify(metricsOf(widgets, "Errors per minute"));
    assert.match(errors, /"AWS\/ApiGateway","5xx","ApiId","abc123"/);
    assert.match(
      errors,
      /MetricName=\\"errors\\" function_name=\\"iris-mlops-prod-api-function-1\\"/,
    );
    for (const w of widgets) assert.equal((w.properties as { region: string }).region, REGION);
  });

  it("graphs invocations, errors and p99 duration by version through the alias, when it has one", () => {
    const widgets = dashboardWidgets({ ...context, alias: "live" });
    assert.deepEqual(titles(widgets).slice(5), [
      "Invocations and errors by version (alias live)",
      "p99 duration by version (ms, alias live)",
    ]);
    const search = (title: string) =>
      metricsOf(widgets, title).map((m) => (m[0] as { expression: string }).expression);
    const fn = context.fn;
    const byVersion = (metric: string, stat: string) =>
      `SEARCH('{AWS/Lambda,ExecutedVersion,FunctionName,Resource} MetricName="${metric}" FunctionName="${fn}" Resource="${fn}:live"', '${stat}', 60)`;
    assert.deepEqual(search("Invocations and errors by version (alias live)"), [
      byVersion("Invocations", "Sum"),
      byVersion("Errors", "Sum"),
    ]);
    assert.deepEqual(search("p99 duration by version (ms, alias live)"), [
      byVersion("Duration", "p99"),
    ]);
    assert.equal(dashboardWidgets(context).length, 5, "none without an alias");
  });

  it("adds the SageMaker endpoint and the alarms when it has them, laid out on the grid", () => {
    const widgets = dashboardWidgets({
      ...context,
      endpoint: "iris-mlops-prod-sagemaker",
      alarms: ["arn:a", "arn:b"],
    });
    assert.deepEqual(titles(widgets).slice(5), [
      "SageMaker invocations and errors",
      "SageMaker model latency (µs)",
      "SageMaker invocations and 5xx by model version",
      "SageMaker slowest answer by model version (ms)",
      "Alarms",
    ]);
    // one line per model version: a canary next to the stable version
    assert.deepEqual(metricsOf(widgets, "SageMaker invocations and 5xx by model version")[1], [
      {
        expression: `SEARCH('{IrisMlops/SageMaker/iris-mlops-prod-sagemaker,ModelVersion} MetricName="ServerErrors"', 'Sum', 60)`,
        id: "errors",
        label: "",
      },
    ]);
    assert.deepEqual(metricsOf(widgets, "SageMaker model latency (µs)")[0]?.slice(0, 6), [
      "AWS/SageMaker",
      "ModelLatency",
      "EndpointName",
      "iris-mlops-prod-sagemaker",
      "VariantName",
      "AllTraffic",
    ]);
    const alarms = widgets.at(-1) as { type: string; x: number; properties: { alarms: string[] } };
    assert.equal(alarms.type, "alarm");
    assert.deepEqual(alarms.properties.alarms, ["arn:a", "arn:b"]);
    const positions = new Set(widgets.map((w) => `${w.x},${w.y}`));
    assert.equal(positions.size, widgets.length, "no two widgets at one place");
  });

  it("registers one dashboard named after project and stack, with the outputs in its body", async () => {
    const mocks = await useMocks({}, "prod");
    const dashboard = new InferenceDashboard("dashboard", {
      functionName: pulumi.output("fn-1"),
      apiId: "api-1",
      alarmArns: [pulumi.output("arn:x")],
    });
    await settle(mocks, [dashboard.dashboardName]);
    const inputs = mocks.one("aws:cloudwatch/dashboard:Dashboard").inputs;
    assert.equal(inputs.dashboardName, "iris-mlops-prod");
    const body = JSON.parse(inputs.dashboardBody);
    assert.match(JSON.stringify(body), /"FunctionName","fn-1"/);
    assert.deepEqual(body.widgets.at(-1).properties.alarms, ["arn:x"]);
  });
});

describe("the stack's alerts", () => {
  let build: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    build = await tempDir("alerts");
  });
  after(async () => {
    await build.remove();
  });

  const base = {
    "iris-mlops:model": { trees: 5, folds: 2 },
    "iris-mlops:api": { handlerEntry: FIXTURE_HANDLER },
    // capture is on by default, and with it the DriftMonitor, which bundles its handler too
    "iris-mlops:monitor": { handlerEntry: FIXTURE_HANDLER },
  };
  async function run(config: Record<string, unknown>) {
    const mocks = await useMocks({ ...base, ...config });
    const outputs = await irisStack(undefined, { buildRoot: build.dir });
    await settle(mocks, [outputs.apiUrl, outputs.dashboardName]);
    return { mocks, outputs };
  }

  it("with an email: a topic, its email subscription, and every alarm notifying it", async () => {
    const { mocks, outputs } = await run({ "iris-mlops:alerts": { email: "oncall@example.com" } });
    const topic = mocks.one("aws:sns/topic:Topic");
    const subscription = mocks.one("aws:sns/topicSubscription:TopicSubscription").inputs;
    assert.equal(subscription.protocol, "email");
    assert.equal(subscription.endpoint, "oncall@example.com");
    assert.equal(subscription.topic, topic.state.arn);
    assert.equal(await value(outputs.alertTopicArn as pulumi.Output<string>), topic.state.arn);
    const alarms = mocks.all(ALARM);
    // the API's 7 and the DriftMonitor's 4 (drift, not-Iris, errors, no run)
    assert.equal(alarms.length, 11);
    assert.equal(alarms.filter((a) => a.name.startsWith("monitor-")).length, 4);
    for (const a of alarms) assert.deepEqual(a.inputs.alarmActions, [topic.state.arn]);
    const body = JSON.parse(mocks.one("aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
    assert.deepEqual(
      body.widgets.at(-1).properties.alarms.sort(),
      alarms.map((a) => a.state.arn).sort(),
    );
  });

  it("without an email: alarms in the console only, no topic", async () => {
    const { mocks, outputs } = await run({});
    assert.equal(mocks.all("aws:sns/topic:Topic").length, 0);
    assert.equal(outputs.alertTopicArn, undefined);
    for (const a of mocks.all(ALARM)) assert.deepEqual(a.inputs.alarmActions, []);
    assert.equal(await value(outputs.dashboardName), "iris-mlops-test");
  });

  it("alerts.enabled false: no alarms and no topic, the dashboard stays", async () => {
    const { mocks } = await run({
      "iris-mlops:alerts": { enabled: false, email: "a@example.com" },
      "iris-mlops:api": { ...base["iris-mlops:api"], rollout: { type: "all-at-once" } },
    });
    assert.equal(mocks.all(ALARM).length, 0);
    assert.equal(mocks.all("aws:sns/topic:Topic").length, 0);
    assert.equal(mocks.all("aws:cloudwatch/dashboard:Dashboard").length, 1);
  });

  it("refuses alerts.enabled false with a canary or linear rollout, which only alarms roll back", () => {
    for (const type of ["canary", "linear"]) {
      assert.throws(
        () =>
          parseStackConfig({
            "iris-mlops:alerts": JSON.stringify({ enabled: false }),
            "iris-mlops:api": JSON.stringify({ rollout: { type } }),
          }),
        (error: Error) =>
          error instanceof ConfigError &&
          error.message.includes(
            `iris-mlops:api.rollout.type: a ${type} rollout rolls back on the API's alarms, which iris-mlops:alerts.enabled false turns off`,
          ),
      );
    }
    // the default rollout is a canary: turning the alerts off alone is refused too
    assert.throws(
      () => parseStackConfig({ "iris-mlops:alerts": JSON.stringify({ enabled: false }) }),
      ConfigError,
    );
  });

  it("refuses an alert address that is not an email address, naming the key", () => {
    assert.throws(
      () => parseStackConfig({ "iris-mlops:alerts": JSON.stringify({ email: "not-an-email" }) }),
      (error: Error) =>
        error instanceof ConfigError && /iris-mlops:alerts\.email/.test(error.message),
    );
  });
});
