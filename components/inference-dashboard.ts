/**
 * InferenceDashboard: one CloudWatch dashboard for a deployment — request rate, latency
 * percentiles, errors, cold starts and predictions per species (from the handler's EMF metrics),
 * the function's versions side by side through its alias (a rollout's canary against the stable
 * version), the SageMaker endpoint when there is one, and the state of the alarms.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { VARIANT_NAME } from "./sagemaker-endpoint.js";
import { versionMetricsNamespace } from "./sagemaker-version-metrics.js";

export interface InferenceDashboardArgs {
  /** The Lambda function serving the API (LambdaInferenceApi.functionName). Required. */
  readonly functionName: pulumi.Input<string>;
  /** The alias API Gateway invokes (LambdaInferenceApi.aliasName): graphs per version. Default: none. */
  readonly aliasName?: pulumi.Input<string>;
  /** The HTTP API's id (LambdaInferenceApi.apiId). Required. */
  readonly apiId: pulumi.Input<string>;
  /** A SageMaker endpoint to show as well (SageMakerEndpoint.endpointName). Default: none. */
  readonly endpointName?: pulumi.Input<string>;
  /** Alarms whose state the dashboard shows. Default: none. */
  readonly alarmArns?: pulumi.Input<pulumi.Input<string>[]>;
  /** Species the model predicts, one line each. Default setosa, versicolor, virginica. */
  readonly species?: pulumi.Input<string[]>;
  /** The handler's EMF namespace (POWERTOOLS_METRICS_NAMESPACE). Default "IrisMlops". */
  readonly metricsNamespace?: pulumi.Input<string>;
  /** The handler's service name (POWERTOOLS_SERVICE_NAME). Default "iris-mlops". */
  readonly serviceName?: pulumi.Input<string>;
  /** The dashboard's name. Default `<project>-<stack>`. */
  readonly dashboardName?: pulumi.Input<string>;
}

export const DEFAULT_SPECIES = ["setosa", "versicolor", "virginica"];

interface Context {
  region: string;
  fn: string;
  /** Undefined: no graphs per version. */
  alias?: string | undefined;
  api: string;
  endpoint: string | undefined;
  alarms: string[];
  species: string[];
  ns: string;
  service: string;
}

type Widget = Record<string, unknown>;

/** A time-series widget on a 24-column grid: 12 wide, 6 high, per minute. */
function graph(title: string, metrics: unknown[], region: string, extra: object = {}): Widget {
  return {
    type: "metric",
    width: 12,
    height: 6,
    properties: {
      title,
      region,
      metrics,
      view: "timeSeries",
      stacked: false,
      period: 60,
      ...extra,
    },
  };
}

/** The widgets, in reading order; exported so tests (and readers) see the body as data. */
export function dashboardWidgets(c: Context): Widget[] {
  const emf = (metric: string, label: string, stat = "Sum") => [
    c.ns,
    metric,
    "service",
    c.service,
    "function_name",
    c.fn,
    { label, stat },
  ];
  const api = (metric: string, label: string, stat = "Sum") => [
    "AWS/ApiGateway",
    metric,
    "ApiId",
    c.api,
    { label, stat },
  ];
  const lambda = (metric: string, label: string, stat = "Sum") => [
    "AWS/Lambda",
    metric,
    "FunctionName",
    c.fn,
    { label, stat },
  ];
  const widgets: Widget[] = [
    graph(
      "Requests per minute",
      [api("Count", "API requests"), lambda("Invocations", "Lambda invocations")],
      c.region,
    ),
    graph(
      "Latency (ms)",
      [
        api("Latency", "API p50", "p50"),
        api("Latency", "API p90", "p90"),
        api("Latency", "API p99", "p99"),
        lambda("Duration", "Lambda p99", "p99"),
      ],
      c.region,
    ),
    graph(
      "Errors per minute",
      [
        api("4xx", "API 4xx"),
        api("5xx", "API 5xx"),
        lambda("Errors", "Lambda errors"),
        lambda("Throttles", "Lambda throttles"),
        [
          {
            expression: `SEARCH('{${c.ns},error_code,function_name,service} MetricName="errors" function_name="${c.fn}"', 'Sum', 60)`,
            id: "codes",
            label: "",
          },
        ],
      ],
      c.region,
    ),
    graph("Cold starts", [emf("ColdStart", "cold starts")], c.region),
    graph(
      "Predictions per species",
      [...c.species.map((s) => emf(`predicted_${s}`, s)), emf("predicted_not_iris", "not an Iris")],
      c.region,
      { stacked: true },
    ),
  ];
  if (c.alias) {
    // Lambda gives invocations through an alias the version that ran them (ExecutedVersion)
    const byVersion = (id: string, metric: string, stat: string) => [
      {
        expression: `SEARCH('{AWS/Lambda,ExecutedVersion,FunctionName,Resource} MetricName="${metric}" FunctionName="${c.fn}" Resource="${c.fn}:${c.alias}"', '${stat}', 60)`,
        id,
        label: "",
      },
    ];
    widgets.push(
      graph(
        `Invocations and errors by version (alias ${c.alias})`,
        [byVersion("invocations", "Invocations", "Sum"), byVersion("errors", "Errors", "Sum")],
        c.region,
      ),
      graph(
        `p99 duration by version (ms, alias ${c.alias})`,
        [byVersion("duration", "Duration", "p99")],
        c.region,
      ),
    );
  }
  if (c.endpoint) {
    const sm = (metric: string, label: string, stat = "Sum") => [
      "AWS/SageMaker",
      metric,
      "EndpointName",
      c.endpoint,
      "VariantName",
      VARIANT_NAME,
      { label, stat },
    ];
    widgets.push(
      graph(
        "SageMaker invocations and errors",
        [
          sm("Invocations", "invocations"),
          sm("Invocation4XXErrors", "4xx"),
          sm("Invocation5XXErrors", "5xx"),
        ],
        c.region,
      ),
      graph(
        "SageMaker model latency (µs)",
        [sm("ModelLatency", "p50", "p50"), sm("ModelLatency", "p99", "p99")],
        c.region,
      ),
    );
    // the container's own metrics tell a rollout's versions apart (sagemaker-version-metrics.ts)
    const endpoint = c.endpoint;
    const byVersion = (metric: string, stat: string, id: string) => [
      {
        expression: `SEARCH('{${versionMetricsNamespace(endpoint)},ModelVersion} MetricName="${metric}"', '${stat}', 60)`,
        id,
        label: "",
      },
    ];
    widgets.push(
      graph(
        "SageMaker invocations and 5xx by model version",
        [
          byVersion("Invocations", "Sum", "invocations"),
          byVersion("ServerErrors", "Sum", "errors"),
        ],
        c.region,
      ),
      graph(
        "SageMaker slowest answer by model version (ms)",
        [byVersion("LatencyMsMax", "Maximum", "slowest")],
        c.region,
      ),
    );
  }
  if (c.alarms.length > 0) {
    widgets.push({
      type: "alarm",
      width: 24,
      height: 3,
      properties: { title: "Alarms", alarms: c.alarms, sortBy: "stateUpdatedTimestamp" },
    });
  }
  // left to right, two to a row; a full-width widget takes a row of its own
  let x = 0;
  let y = 0;
  return widgets.map((w) => {
    const width = w.width as number;
    if (x + width > 24) {
      x = 0;
      y += 6;
    }
    const placed = { ...w, x, y };
    x += width;
    return placed;
  });
}

export class InferenceDashboard extends pulumi.ComponentResource {
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: InferenceDashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("iris-mlops:index:InferenceDashboard", name, args, opts);
    const region = aws.getRegionOutput({}, { parent: this }).region;
    // two levels: pulumi.all keeps the element types of at most eight
    const watched = pulumi.all([
      region,
      args.functionName,
      args.aliasName,
      args.apiId,
      args.endpointName,
    ]);
    const body = pulumi
      .all([
        watched,
        args.alarmArns ?? [],
        args.species ?? DEFAULT_SPECIES,
        args.metricsNamespace ?? "IrisMlops",
        args.serviceName ?? "iris-mlops",
      ])
      .apply(([[region, fn, alias, api, endpoint], alarms, species, ns, service]) =>
        JSON.stringify({
          widgets: dashboardWidgets({
            region,
            fn,
            alias,
            api,
            endpoint,
            alarms,
            species,
            ns,
            service,
          }),
        }),
      );
    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: args.dashboardName ?? `${pulumi.getProject()}-${pulumi.getStack()}`,
        dashboardBody: body,
      },
      { parent: this },
    );
    this.dashboardName = this.dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }
}
