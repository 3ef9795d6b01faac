/**
 * `iris-mlops drift --report drift.html` (and the DriftMonitor's report in S3): a DriftReport
 * as one self-contained HTML page -- per feature, the training and the traffic histograms over
 * the profile's bins; PSI per feature against the warn and drift lines; the class mix of the
 * training labels and of the traffic's predictions; the not-Iris share and class mix per day;
 * and a table per model version. Every number drawn also stands in a table.
 */
import { FEATURES } from "../core/features.js";
import type { DriftFigures, DriftReport, Verdict } from "../monitoring/types.js";
import { CLASS_COLOURS, escapeHtml, renderChart, VERDICT_COLOURS } from "./charts.js";
import { figure, fixed, page, percent, table } from "./page.js";

const badge = (verdict: Verdict) => `<span class="badge ${verdict}">${verdict}</span>`;

/** The bins' names from the inner edges: "< e0", "e0–e1", …, "≥ ek". */
export function binLabels(edges: readonly number[]): string[] {
  if (edges.length === 0) return ["all"];
  const e = (x: number) => String(Number(x.toFixed(3)));
  return [
    `< ${e(edges[0] as number)}`,
    ...edges.slice(1).map((edge, i) => `${e(edges[i] as number)}–${e(edge)}`),
    `≥ ${e(edges[edges.length - 1] as number)}`,
  ];
}

const verdictScale = {
  domain: ["ok", "warn", "drift"],
  range: [VERDICT_COLOURS.ok, VERDICT_COLOURS.warn, VERDICT_COLOURS.drift],
};
const sourceScale = { domain: ["training", "traffic"], range: ["#9e9e9e", "#4c78a8"] };

function histogram(report: DriftReport, feature: DriftFigures["features"][number]) {
  const profile = report.training.features[feature.feature];
  const bins = binLabels(profile.edges);
  const values = bins.flatMap((bin, i) => [
    { bin, source: "training", share: profile.shares[i] ?? 0 },
    { bin, source: "traffic", share: feature.traffic_shares[i] ?? 0 },
  ]);
  return renderChart({
    title: `${feature.feature.replace("_", " ")} (cm): training vs traffic`,
    data: { values },
    width: 420,
    height: 170,
    mark: "bar",
    encoding: {
      x: { field: "bin", type: "nominal", sort: bins, title: null, axis: { labelAngle: -40 } },
      xOffset: { field: "source", sort: ["training", "traffic"] },
      y: { field: "share", type: "quantitative", axis: { format: "%" }, title: "share of rows" },
      color: { field: "source", type: "nominal", scale: sourceScale, title: null },
    },
  } as never);
}

function psiChart(report: DriftReport) {
  const { warn, drift } = report.thresholds.psi;
  const values = report.overall.features.map((f) => ({
    feature: f.feature.replace("_", " "),
    psi: f.psi,
    verdict: f.verdict,
  }));
  return renderChart({
    title: "PSI per feature (dashed: warn and drift)",
    width: 360,
    height: 180,
    layer: [
      {
        data: { values },
        mark: "bar",
        encoding: {
          y: { field: "feature", type: "nominal", sort: null, title: null },
          x: {
            field: "psi",
            type: "quantitative",
            title: "PSI",
            scale: { domainMax: drift * 1.25 },
          },
          color: { field: "verdict", type: "nominal", scale: verdictScale, title: "verdict" },
        },
      },
      {
        data: {
          values: [
            { at: warn, line: "warn" },
            { at: drift, line: "drift" },
          ],
        },
        mark: { type: "rule", strokeDash: [6, 3], strokeWidth: 2 },
        encoding: {
          x: { field: "at", type: "quantitative" },
          color: { field: "line", type: "nominal", scale: verdictScale },
        },
      },
    ],
  } as never);
}

function classMixChart(report: DriftReport, classes: string[]) {
  const values = classes.flatMap((name) => [
    { name, source: "training", share: report.training.class_mix[name] ?? 0 },
    { name, source: "traffic", share: report.overall.class_mix[name] ?? 0 },
  ]);
  return renderChart({
    title: "Class mix: training labels vs predicted traffic",
    data: { values },
    width: 300,
    height: 180,
    mark: "bar",
    encoding: {
      x: { field: "name", type: "nominal", sort: classes, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: "source", sort: ["training", "traffic"] },
      y: { field: "share", type: "quantitative", axis: { format: "%" }, title: "share" },
      color: { field: "source", type: "nominal", scale: sourceScale, title: null },
    },
  } as never);
}

function notIrisChart(report: DriftReport, days: string[]) {
  const { warn, drift } = report.thresholds.not_iris_share;
  const values = days.map((day) => ({ day, share: report.by_day[day]?.not_iris_share ?? 0 }));
  return renderChart({
    title: "Not-Iris share per day (dashed: warn and drift)",
    width: 420,
    height: 180,
    layer: [
      {
        data: { values },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "day", type: "ordinal", sort: days, title: null, axis: { labelAngle: -40 } },
          y: { field: "share", type: "quantitative", axis: { format: "%" }, title: "not Iris" },
        },
      },
      {
        data: {
          values: [
            { at: warn, line: "warn" },
            { at: drift, line: "drift" },
          ],
        },
        mark: { type: "rule", strokeDash: [6, 3], strokeWidth: 2 },
        encoding: {
          y: { field: "at", type: "quantitative" },
          color: { field: "line", type: "nominal", scale: verdictScale, title: null },
        },
      },
    ],
  } as never);
}

function classesByDayChart(report: DriftReport, days: string[], classes: string[]) {
  const values = days.flatMap((day) =>
    classes.map((name) => ({ day, name, share: report.by_day[day]?.class_mix[name] ?? 0 })),
  );
  return renderChart({
    title: "Predicted class mix per day",
    data: { values },
    width: 420,
    height: 180,
    mark: "bar",
    encoding: {
      x: { field: "day", type: "ordinal", sort: days, title: null, axis: { labelAngle: -40 } },
      y: {
        field: "share",
        type: "quantitative",
        axis: { format: "%" },
        title: "share",
        stack: "zero",
      },
      color: {
        field: "name",
        type: "nominal",
        title: "species",
        scale: { domain: classes, range: CLASS_COLOURS.slice(0, classes.length) },
      },
    },
  } as never);
}

const maxPsi = (g: DriftFigures) => Math.max(0, ...g.features.map((f) => f.psi));

/** A group's row in the per-version and per-day tables. */
const groupRow = (name: string, g: DriftFigures) => [
  name,
  String(g.rows),
  percent(g.not_iris_share),
  fixed(maxPsi(g)),
  g.verdict,
];

export async function renderDriftReport(report: DriftReport): Promise<string> {
  const classes = [
    ...new Set([
      ...Object.keys(report.training.class_mix),
      ...Object.keys(report.overall.class_mix),
    ]),
  ];
  const days = Object.keys(report.by_day).sort();
  const features = FEATURES.flatMap((name) =>
    report.overall.features.filter((f) => f.feature === name),
  );
  const charts = await Promise.all([
    ...features.map((f) => histogram(report, f)),
    psiChart(report),
    classMixChart(report, classes),
    notIrisChart(report, days),
    classesByDayChart(report, days, classes),
  ]);
  const histograms = charts.slice(0, features.length);
  const [psi, mix, notIris, byDay] = charts.slice(features.length) as [
    string,
    string,
    string,
    string,
  ];
  const t = report.thresholds;
  const o = report.overall;
  const versions = Object.keys(report.by_model_version).sort();

  const body = `
<h1>Drift report: model ${escapeHtml(report.model_version)} ${badge(report.verdict)}</h1>
<p class="lead">Traffic from ${escapeHtml(report.since)} to ${escapeHtml(report.until)} compared with the ${report.training.rows} training rows kept in the model.</p>
${table(
  "summary",
  ["figure", "value"],
  [
    ["verdict", report.verdict],
    ["captured rows", String(o.rows)],
    ["not-Iris share", percent(o.not_iris_share)],
    ["largest PSI", fixed(maxPsi(o))],
    ["training rows", String(report.training.rows)],
  ],
)}
<h2>Features</h2>
<div class="charts">${figure(psi)}</div>
${table(
  "features",
  ["feature", "PSI", "KS", "verdict"],
  features.map((f) => [f.feature, fixed(f.psi), fixed(f.ks), f.verdict]),
)}
<div class="charts">${histograms.map((svg) => figure(svg)).join("")}</div>
<h2>Classes</h2>
<div class="charts">${figure(mix)}</div>
${table(
  "class-mix",
  ["class", "training", "traffic"],
  classes.map((name) => [
    name,
    percent(report.training.class_mix[name] ?? 0),
    percent(o.class_mix[name] ?? 0),
  ]),
)}
<h2>Over time</h2>
<div class="charts">${figure(notIris)}${figure(byDay)}</div>
${table(
  "by-day",
  ["day", "rows", "not Iris", "largest PSI", "verdict"],
  days.map((day) => groupRow(day, report.by_day[day] as DriftFigures)),
)}
<h2>Per model version</h2>
${table(
  "by-version",
  ["model version", "rows", "not Iris", "largest PSI", "verdict"],
  versions.map((v) => groupRow(v, report.by_model_version[v] as DriftFigures)),
)}
<h2>Thresholds</h2>
${table(
  "thresholds",
  ["figure", "warn at", "drift at"],
  [
    ["PSI", fixed(t.psi.warn), fixed(t.psi.drift)],
    ["KS", fixed(t.ks.warn), fixed(t.ks.drift)],
    ["not-Iris share", percent(t.not_iris_share.warn), percent(t.not_iris_share.drift)],
  ],
)}
<p class="lead">A group with fewer than ${t.min_rows} rows is never called ok, at best warn.</p>
`;
  return page(`Drift report ${report.model_version}`, body);
}
