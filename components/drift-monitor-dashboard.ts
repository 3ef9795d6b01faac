/**
 * A DriftMonitor's widgets, for the stack's dashboard (InferenceDashboard's `extraWidgets`):
 * the verdict with its warn and drift lines, PSI and KS per feature, and the not-Iris share
 * beside the rows each run read. Built from resolved names, like the dashboard's own.
 */
import { FEATURES } from "../core/features.js";
import { driftMonitorMetrics } from "./drift-monitor-metrics.js";
import { dashboardMetric } from "./metric.js";

export interface MonitorWidgetNames {
  readonly region: string;
  readonly functionName: string;
  /** Seconds between runs: the graphs' period. */
  readonly period: number;
  readonly namespace?: string;
}

export function driftMonitorWidgets(c: MonitorWidgetNames): Record<string, unknown>[] {
  const m = driftMonitorMetrics<string>(
    { functionName: c.functionName, ...(c.namespace ? { namespace: c.namespace } : {}) },
    { period: c.period },
  );
  const line = (metric: ReturnType<typeof m.verdict>) => dashboardMetric(metric, c.period);
  const graph = (title: string, metrics: unknown[], extra: object = {}) => ({
    type: "metric",
    width: 12,
    height: 6,
    properties: {
      title,
      region: c.region,
      metrics,
      view: "timeSeries",
      stacked: false,
      period: c.period,
      ...extra,
    },
  });
  return [
    graph("Drift verdict (0 ok, 1 warn, 2 drift)", [line(m.verdict({ label: "verdict" }))], {
      yAxis: { left: { min: 0, max: 2 } },
      annotations: {
        horizontal: [
          { label: "warn", value: 1 },
          { label: "drift", value: 2 },
        ],
      },
    }),
    graph(
      "PSI per feature",
      FEATURES.map((f) => line(m.psi(f, { label: f }))),
    ),
    graph(
      "KS statistic per feature",
      FEATURES.map((f) => line(m.ks(f, { label: f }))),
    ),
    graph("Not-Iris share and rows read", [
      line(m.notIrisShare({ label: "not-Iris share" })),
      [
        ...line(m.rows({ label: "rows" })).slice(0, -1),
        { label: "rows", stat: "Maximum", yAxis: "right" },
      ],
    ]),
  ];
}
