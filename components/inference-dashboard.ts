/**
 * InferenceDashboard: one CloudWatch dashboard for a deployment — request rate, latency
 * percentiles, errors, cold starts and predictions per species (from the handler's EMF metrics),
 * the function's versions side by side through its alias (a rollout's canary against the stable
 * version), the SageMaker endpoint when there is one, and the state of the alarms.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { lambdaApiMetrics } from "./lambda-api-metrics.js";
import { dashboardMetric, metricSearch, type ResolvedMetric } from "./metric.js";
import { endpointMetrics } from "./sagemaker-metrics.js";

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
  /** More widgets (12 or 24 wide), after the graphs and before the alarms, e.g. DriftMonitor.dashboardWidgets. Default: none. */
  readonly extraWidgets?: pulumi.Input<Record<string, unknown>[]>;
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
  /** Placed after the graphs, before the alarms. */
  extra?: Widget[] | undefined;
}

type Widget = Record<string, unknown>;

/** Seconds per datapoint of every graph. */
const GRAPH_PERIOD = 60;
const perMinute = { period: GRAPH_PERIOD };

/** A line of a graph, and lines found by a SEARCH over one of the metric's dimensions. */
const line = (m: ResolvedMetric) => dashboardMetric(m, GRAPH_PERIOD);
const search = (m: ResolvedMetric, id: string, ...by: string[]) => [metricSearch(m, { id, by })];

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
      period: GRAPH_PERIOD,
      ...extra,
    },
  };
}

/** The widgets, in reading order; exported so tests (and readers) see the body as data. */
export function dashboardWidgets(c: Context): Widget[] {
  const api = lambdaApiMetrics(
    {
      functionName: c.fn,
      aliasName: c.alias,
      apiId: c.api,
      appNamespace: c.ns,
      serviceName: c.service,
    },
    perMinute,
  );
  const widgets: Widget[] = [
    graph(
      "Requests per minute",
      [
        line(api.requests({ label: "API requests" })),
        line(api.invocations({ label: "Lambda invocations" })),
      ],
      c.region,
    ),
    graph(
      "Latency (ms)",
      [
        line(api.latency({ statistic: "p50", label: "API p50" })),
        line(api.latency({ statistic: "p90", label: "API p90" })),
        line(api.latency({ statistic: "p99", label: "API p99" })),
        line(api.duration({ statistic: "p99", label: "Lambda p99" })),
      ],
      c.region,
    ),
    graph(
      "Errors per minute",
      [
        line(api.errors("4xx", { label: "API 4xx" })),
        line(api.errors("5xx", { label: "API 5xx" })),
        line(api.functionErrors({ label: "Lambda errors" })),
        line(api.throttles({ label: "Lambda throttles" })),
        // one line per error code (the function has one service)
        search(api.handlerErrors(), "codes", "error_code", "service"),
      ],
      c.region,
    ),
    graph("Cold starts", [line(api.coldStarts({ label: "cold starts" }))], c.region),
    graph(
      "Predictions per species",
      [
        ...c.species.map((s) => line(api.predicted(s, { label: s }))),
        line(api.notIris({ label: "not an Iris" })),
      ],
      c.region,
      { stacked: true },
    ),
  ];
  if (c.alias) {
    // Lambda gives invocations through an alias the version that ran them (ExecutedVersion)
    const throughAlias = { scope: "alias" } as const;
    widgets.push(
      graph(
        `Invocations and errors by version (alias ${c.alias})`,
        [
          search(api.invocations(throughAlias), "invocations", "ExecutedVersion"),
          search(api.functionErrors(throughAlias), "errors", "ExecutedVersion"),
        ],
        c.region,
      ),
      graph(
        `p99 duration by version (ms, alias ${c.alias})`,
        [
          search(
            api.duration({ ...throughAlias, statistic: "p99" }),
            "duration",
            "ExecutedVersion",
          ),
        ],
        c.region,
      ),
    );
  }
  if (c.endpoint) {
    const sm = endpointMetrics({ endpointName: c.endpoint }, perMinute);
    widgets.push(
      graph(
        "SageMaker invocations and errors",
        [
          line(sm.invocations({ label: "invocations" })),
          line(sm.errors("4xx", { label: "4xx" })),
          line(sm.errors("5xx", { label: "5xx" })),
        ],
        c.region,
      ),
      graph(
        "SageMaker model latency (µs)",
        [
          line(sm.modelLatency({ statistic: "p50", label: "p50" })),
          line(sm.modelLatency({ statistic: "p99", label: "p99" })),
        ],
        c.region,
      ),
      // the container's own metrics tell a rollout's versions apart (sagemaker-version-metrics.ts)
      graph(
        "SageMaker invocations and 5xx by model version",
        [
          search(sm.byModelVersion("Invocations"), "invocations", "ModelVersion"),
          search(sm.byModelVersion("ServerErrors"), "errors", "ModelVersion"),
        ],
        c.region,
      ),
      graph(
        "SageMaker slowest answer by model version (ms)",
        [search(sm.byModelVersion("LatencyMsMax"), "slowest", "ModelVersion")],
        c.region,
      ),
    );
  }
  widgets.push(...(c.extra ?? []));
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
        args.extraWidgets ?? [],
      ])
      .apply(([[region, fn, alias, api, endpoint], alarms, species, ns, service, extra]) =>
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
            extra,
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
