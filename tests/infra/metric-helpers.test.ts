/**
 * The metric helpers of LambdaInferenceApi and SageMakerEndpoint (components/lambda-api-metrics.ts,
 * sagemaker-metrics.ts) against the names AWS documents: namespace, metric name, the exact
 * dimension keys with their resolved values, statistic and period; and an alarm built from a
 * helper (createAlarm, or a MetricAlarm of the user's own from alarmMetric) gets exactly those.
 *
 * The names, as AWS documents them:
 * - AWS/ApiGateway, HTTP APIs (developerguide/http-api-metrics.html): 4xx, 5xx, Count, Latency,
 *   IntegrationLatency; dimension sets ApiId | ApiId,Stage | ApiId,Stage,Route. Our API has only
 *   the `$default` stage, so the helpers use ApiId alone (every stage).
 * - AWS/Lambda: Invocations, Errors, Throttles, Duration; FunctionName | FunctionName,Resource
 *   (`<function>:<alias>`) | FunctionName,Resource,ExecutedVersion.
 * - AWS/SageMaker: Invocations, Invocation4XXErrors, Invocation5XXErrors, ModelLatency and
 *   OverheadLatency (microseconds); EndpointName,VariantName. /aws/sagemaker/Endpoints:
 *   CPUUtilization, MemoryUtilization, DiskUtilization by the same.
 * - Ours (handlers/lambda.ts, handlers/api.ts): EMF namespace IrisMlops, dimensions service and
 *   function_name (+ error_code on errors, + ModelVersion on the per-version copy).
 */
import { strict as assert } from "node:assert";
import * as aws from "@pulumi/aws";
import fc from "fast-check";
import { createAlarm } from "../../components/alarms.js";
import { lambdaApiMetrics } from "../../components/lambda-api-metrics.js";
import { LambdaInferenceApi } from "../../components/lambda-inference-api.js";
import {
  alarmMetric,
  type Metric,
  type ResolvedMetric,
  resolveMetric,
} from "../../components/metric.js";
import { SageMakerEndpoint } from "../../components/sagemaker-endpoint.js";
import { endpointMetrics } from "../../components/sagemaker-metrics.js";
import { VERSION_METRICS } from "../../components/sagemaker-version-metrics.js";
import {
  ACCOUNT,
  FIXTURE_HANDLER,
  LAMBDA_MODEL,
  REGION,
  type Recorder,
  settle,
  useMocks,
  value,
} from "./harness.js";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** What a helper must return: the defaults of every helper are a 300-second period. */
const expected = (
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  statistic: string,
): ResolvedMetric => ({
  namespace,
  metricName,
  dimensions,
  statistic: statistic as ResolvedMetric["statistic"],
  period: 300,
});

/** The alarm's metric fields as the provider receives them. */
async function alarmOf(mocks: Recorder, name: string) {
  await settle(mocks);
  const i = mocks.one(ALARM, name).inputs;
  return {
    namespace: i.namespace,
    metricName: i.metricName,
    dimensions: i.dimensions,
    period: i.period,
    statistic: i.statistic,
    extendedStatistic: i.extendedStatistic,
  };
}

const nonEmptyStrings = (m: ResolvedMetric) =>
  Object.values(m.dimensions).every((v) => typeof v === "string" && v.length > 0);

describe("LambdaInferenceApi metric helpers", () => {
  let mocks: Recorder;
  let api: LambdaInferenceApi;
  let fn: string;
  let alias: string;
  let apiId: string;

  before(async () => {
    mocks = await useMocks();
    api = new LambdaInferenceApi("api", { ...LAMBDA_MODEL, handlerEntry: FIXTURE_HANDLER });
    await settle(mocks, [api.functionName, api.apiId, api.aliasName]);
    [fn, alias, apiId] = await Promise.all([
      value(api.functionName),
      value(api.aliasName),
      value(api.apiId),
    ]);
  });

  const resolved = (m: Metric) => value(resolveMetric(m));

  it("names the resolved function, alias and API, none of them empty", () => {
    assert.ok(fn.length > 0 && apiId.length > 0);
    assert.equal(alias, "live");
  });

  it("gives AWS/Lambda's metrics by FunctionName, Resource <function>:<alias> and ExecutedVersion", async () => {
    const byFunction = { FunctionName: fn };
    const cases: [Metric, ResolvedMetric][] = [
      [api.metricInvocations(), expected("AWS/Lambda", "Invocations", byFunction, "Sum")],
      [api.metricFunctionErrors(), expected("AWS/Lambda", "Errors", byFunction, "Sum")],
      [api.metricThrottles(), expected("AWS/Lambda", "Throttles", byFunction, "Sum")],
      [api.metricDuration(), expected("AWS/Lambda", "Duration", byFunction, "p99")],
      [
        api.metricFunction("ConcurrentExecutions"),
        expected("AWS/Lambda", "ConcurrentExecutions", byFunction, "Sum"),
      ],
      [
        api.metricInvocations({ scope: "alias" }),
        expected(
          "AWS/Lambda",
          "Invocations",
          { FunctionName: fn, Resource: `${fn}:${alias}` },
          "Sum",
        ),
      ],
      [
        api.metricFunctionErrors({ scope: { version: "7" } }),
        expected(
          "AWS/Lambda",
          "Errors",
          { FunctionName: fn, Resource: `${fn}:${alias}`, ExecutedVersion: "7" },
          "Sum",
        ),
      ],
    ];
    for (const [metric, want] of cases) {
      const got = await resolved(metric);
      assert.deepEqual(got, want);
      assert.deepEqual(Object.keys(got.dimensions), Object.keys(want.dimensions));
    }
  });

  it("gives the HTTP API's metrics (Count, 4xx, 5xx, Latency, IntegrationLatency) by ApiId", async () => {
    const byApi = { ApiId: apiId };
    const cases: [Metric, ResolvedMetric][] = [
      [api.metricRequests(), expected("AWS/ApiGateway", "Count", byApi, "Sum")],
      [api.metricErrors("4xx"), expected("AWS/ApiGateway", "4xx", byApi, "Sum")],
      [api.metricErrors("5xx"), expected("AWS/ApiGateway", "5xx", byApi, "Sum")],
      [api.metricLatency(), expected("AWS/ApiGateway", "Latency", byApi, "p99")],
      [
        api.metricIntegrationLatency(),
        expected("AWS/ApiGateway", "IntegrationLatency", byApi, "p99"),
      ],
      [api.metricApi("DataProcessed"), expected("AWS/ApiGateway", "DataProcessed", byApi, "Sum")],
    ];
    for (const [metric, want] of cases) assert.deepEqual(await resolved(metric), want);
  });

  it("gives the handler's EMF metrics in IrisMlops by service and function_name", async () => {
    const byHandler = { service: "iris-mlops", function_name: fn };
    const app = (name: string, dims = byHandler, stat = "Sum") =>
      expected("IrisMlops", name, dims, stat);
    const cases: [Metric, ResolvedMetric][] = [
      [api.metricPredictions(), app("predictions")],
      [api.metricPredicted("setosa"), app("predicted_setosa")],
      [api.metricNotIris(), app("predicted_not_iris")],
      [api.metricColdStarts(), app("ColdStart")],
      [api.metricHandlerLatency(), app("latency", byHandler, "p99")],
      [api.metricApp("latency"), app("latency")],
      [api.metricHandlerErrors(), app("errors")],
      [
        api.metricHandlerErrors("bad_input"),
        app("errors", { ...byHandler, error_code: "bad_input" } as typeof byHandler),
      ],
      [
        api.metricNotIris({ modelVersion: "0123456789abcdef" }),
        app("predicted_not_iris", {
          ...byHandler,
          ModelVersion: "0123456789abcdef",
        } as typeof byHandler),
      ],
    ];
    for (const [metric, want] of cases) assert.deepEqual(await resolved(metric), want);
  });

  it("takes period, statistic, label and unit from the options", async () => {
    assert.deepEqual(
      await resolved(
        api.metricLatency({ period: 60, statistic: "p50", label: "median", unit: "Milliseconds" }),
      ),
      {
        ...expected("AWS/ApiGateway", "Latency", { ApiId: apiId }, "p50"),
        period: 60,
        label: "median",
        unit: "Milliseconds",
      },
    );
  });

  it("makes an alarm of api.metricErrors('5xx') with exactly its namespace, name, dimensions, statistic and period", async () => {
    createAlarm(
      "my-5xx",
      { description: "5xx", threshold: 1, metric: api.metricErrors("5xx", { period: 60 }) },
      {},
      {},
    );
    assert.deepEqual(await alarmOf(mocks, "my-5xx"), {
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: apiId },
      period: 60,
      statistic: "Sum",
      extendedStatistic: undefined,
    });
  });

  it("puts a percentile in the alarm's extendedStatistic (a MetricAlarm of the user's own)", async () => {
    new aws.cloudwatch.MetricAlarm("my-duration", {
      ...alarmMetric(api.metricDuration({ scope: "alias" })),
      comparisonOperator: "GreaterThanThreshold",
      threshold: 5000,
      evaluationPeriods: 1,
    });
    assert.deepEqual(await alarmOf(mocks, "my-duration"), {
      namespace: "AWS/Lambda",
      metricName: "Duration",
      dimensions: { FunctionName: fn, Resource: `${fn}:${alias}` },
      period: 300,
      statistic: undefined,
      extendedStatistic: "p99",
    });
  });
});

describe("SageMakerEndpoint metric helpers", () => {
  let mocks: Recorder;
  let sm: SageMakerEndpoint;
  let endpoint: string;

  before(async () => {
    mocks = await useMocks({}, "prod");
    sm = new SageMakerEndpoint("sagemaker", {
      imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/image@sha256:${"b".repeat(64)}`,
      repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/image`,
      modelBucketName: "models-bucket-1234567",
      modelKey: "models/0123456789abcdef/model.tar.gz",
      modelManifestSha256: "c".repeat(64),
    });
    await settle(mocks, [sm.endpointName]);
    endpoint = await value(sm.endpointName);
  });

  const resolved = (m: Metric) => value(resolveMetric(m));

  it("gives AWS/SageMaker's invocation metrics by EndpointName and VariantName", async () => {
    assert.equal(endpoint, "iris-mlops-prod-sagemaker");
    const byVariant = { EndpointName: endpoint, VariantName: "AllTraffic" };
    const cases: [Metric, ResolvedMetric][] = [
      [sm.metricInvocations(), expected("AWS/SageMaker", "Invocations", byVariant, "Sum")],
      [sm.metricErrors("4xx"), expected("AWS/SageMaker", "Invocation4XXErrors", byVariant, "Sum")],
      [sm.metricErrors("5xx"), expected("AWS/SageMaker", "Invocation5XXErrors", byVariant, "Sum")],
      [sm.metricModelLatency(), expected("AWS/SageMaker", "ModelLatency", byVariant, "p99")],
      [sm.metricOverheadLatency(), expected("AWS/SageMaker", "OverheadLatency", byVariant, "p99")],
      [
        sm.metric("InvocationsPerInstance"),
        expected("AWS/SageMaker", "InvocationsPerInstance", byVariant, "Sum"),
      ],
      [
        sm.metricCpuUtilization(),
        expected("/aws/sagemaker/Endpoints", "CPUUtilization", byVariant, "Average"),
      ],
      [
        sm.metricMemoryUtilization(),
        expected("/aws/sagemaker/Endpoints", "MemoryUtilization", byVariant, "Average"),
      ],
      [
        sm.metricDiskUtilization(),
        expected("/aws/sagemaker/Endpoints", "DiskUtilization", byVariant, "Average"),
      ],
    ];
    for (const [metric, want] of cases) {
      const got = await resolved(metric);
      assert.deepEqual(got, want);
      assert.deepEqual(Object.keys(got.dimensions), ["EndpointName", "VariantName"]);
    }
  });

  it("gives the container's per-version metrics in the endpoint's namespace by ModelVersion", async () => {
    const namespace = `IrisMlops/SageMaker/${endpoint}`;
    for (const { metric } of VERSION_METRICS) {
      const stat = metric === "LatencyMsMax" ? "Maximum" : "Sum";
      assert.deepEqual(
        await resolved(sm.metricByModelVersion(metric, { modelVersion: "0123456789abcdef" })),
        expected(namespace, metric, { ModelVersion: "0123456789abcdef" }, stat),
      );
      // without a version: the metric a SEARCH by ModelVersion starts from
      assert.deepEqual(
        await resolved(sm.metricByModelVersion(metric)),
        expected(namespace, metric, {}, stat),
      );
    }
  });

  it("makes an alarm of sm.metricModelLatency() in microseconds' p99, by endpoint and variant", async () => {
    createAlarm(
      "my-model-latency",
      { description: "slow", threshold: 200_000, metric: sm.metricModelLatency({ period: 60 }) },
      {},
      {},
    );
    assert.deepEqual(await alarmOf(mocks, "my-model-latency"), {
      namespace: "AWS/SageMaker",
      metricName: "ModelLatency",
      dimensions: { EndpointName: endpoint, VariantName: "AllTraffic" },
      period: 60,
      statistic: undefined,
      extendedStatistic: "p99",
    });
  });
});

describe("metric helpers over any names", () => {
  const name = fc.string({ minLength: 1, maxLength: 40 });

  it("put the names given, unchanged and non-empty, in every helper's dimensions", () => {
    fc.assert(
      fc.property(name, name, name, name, (functionName, aliasName, apiId, version) => {
        const m = lambdaApiMetrics<string>({ functionName, aliasName, apiId });
        const all: ResolvedMetric[] = [
          m.invocations(),
          m.functionErrors({ scope: "alias" }),
          m.throttles({ scope: { version } }),
          m.duration(),
          m.requests(),
          m.errors("4xx"),
          m.errors("5xx"),
          m.latency(),
          m.integrationLatency(),
          m.predictions({ modelVersion: version }),
          m.notIris(),
          m.coldStarts(),
          m.handlerErrors("bad_input"),
          m.handlerLatency(),
        ];
        assert.ok(all.every(nonEmptyStrings));
        assert.equal(
          m.throttles({ scope: { version } }).dimensions.Resource,
          `${functionName}:${aliasName}`,
        );
        assert.ok(
          all.every((x) =>
            [functionName, apiId].some((n) => Object.values(x.dimensions).includes(n)),
          ),
        );
      }),
    );
  });

  it("put the endpoint's name and variant in every endpoint helper's dimensions", () => {
    fc.assert(
      fc.property(name, name, (endpointName, variantName) => {
        const m = endpointMetrics<string>({ endpointName, variantName });
        for (const x of [
          m.invocations(),
          m.errors("4xx"),
          m.errors("5xx"),
          m.modelLatency(),
          m.overheadLatency(),
          m.cpuUtilization(),
          m.memoryUtilization(),
          m.diskUtilization(),
        ]) {
          assert.deepEqual(x.dimensions, { EndpointName: endpointName, VariantName: variantName });
        }
      }),
    );
  });

  it("refuse a metric of the alias without the alias's name", () => {
    const m = lambdaApiMetrics<string>({ functionName: "f", apiId: "a" });
    assert.throws(() => m.invocations({ scope: "alias" }), /needs the alias name/);
  });
});
