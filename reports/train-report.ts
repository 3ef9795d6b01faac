/**
 * `iris-mlops train --report report.html`: the training run as one self-contained HTML page --
 * confusion matrix, per-class metrics, cross-validation folds, permutation importance and the
 * Iris scatter plots over the model's decision regions. Charts are vega-lite rendered to SVG
 * here (reports/charts.ts); every number also stands in a table.
 */
import { FEATURES } from "../core/features.js";
import { type Dataset, loadIris } from "../training/data.js";
import type { TrainResult } from "../training/train.js";
import { CLASS_COLOURS, escapeHtml, renderChart } from "./charts.js";
import { figure, fixed, page, percent, table } from "./page.js";
import { PERMUTATION_REPEATS, type TrainFigures, trainFigures } from "./train-figures.js";

export interface TrainReportOptions {
  /** The rows the model was trained on (default: the Iris data, as `train` uses). */
  data?: Dataset;
}

const label = (feature: string) => `${feature.replace("_", " ")} (cm)`;

function speciesScale(classes: string[]) {
  return { domain: classes, range: CLASS_COLOURS.slice(0, classes.length) };
}

function confusionChart(result: TrainResult) {
  const classes = result.manifest.classes;
  const values = result.test.confusion_matrix.flatMap((row, t) =>
    row.map((count, p) => ({ truth: classes[t], predicted: classes[p], count })),
  );
  const encoding = {
    x: { field: "predicted", type: "nominal", sort: classes, title: "predicted" },
    y: { field: "truth", type: "nominal", sort: classes, title: "true" },
  } as const;
  return renderChart({
    title: "Confusion matrix (test rows)",
    data: { values },
    width: 260,
    height: 220,
    encoding,
    layer: [
      {
        mark: "rect",
        encoding: {
          color: { field: "count", type: "quantitative", scale: { scheme: "blues" }, legend: null },
        },
      },
      {
        mark: { type: "text", fontSize: 16, fontWeight: "bold" },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: "datum.count > 5", value: "white" }, value: "black" },
        },
      },
    ],
  } as never);
}

function perClassChart(result: TrainResult) {
  const values = result.manifest.classes.flatMap((name) => {
    const m = result.test.per_class[name];
    return m
      ? (["precision", "recall", "f1"] as const).map((metric) => ({
          name,
          metric,
          value: m[metric],
        }))
      : [];
  });
  return renderChart({
    title: "Per-class precision, recall, F1 (test rows)",
    data: { values },
    width: 300,
    height: 220,
    mark: "bar",
    encoding: {
      x: { field: "name", type: "nominal", title: null, axis: { labelAngle: 0 } },
      xOffset: { field: "metric", sort: ["precision", "recall", "f1"] },
      y: { field: "value", type: "quantitative", scale: { domain: [0, 1] }, title: null },
      color: { field: "metric", type: "nominal", sort: ["precision", "recall", "f1"], title: null },
    },
  } as never);
}

function foldsChart(result: TrainResult) {
  const cv = result.crossValidation;
  const values = cv.accuracies.map((accuracy, i) => ({ fold: `fold ${i + 1}`, accuracy }));
  return renderChart({
    title: `${cv.folds}-fold cross-validation accuracy (training rows)`,
    width: 300,
    height: 220,
    layer: [
      {
        data: { values },
        mark: "bar",
        encoding: {
          x: { field: "fold", type: "nominal", title: null, axis: { labelAngle: 0 } },
          y: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] } },
        },
      },
      {
        data: { values: [{ mean: cv.accuracy_mean }] },
        mark: { type: "rule", color: "#c62828", strokeDash: [6, 3], strokeWidth: 2 },
        encoding: { y: { field: "mean", type: "quantitative" } },
      },
    ],
  } as never);
}

function importanceChart(figures: TrainFigures) {
  const values = figures.importance.map(({ feature, mean, std }) => ({
    feature: feature.replace("_", " "),
    mean,
    low: mean - std,
    high: mean + std,
  }));
  return renderChart({
    title: "Permutation importance (test accuracy drop)",
    data: { values },
    width: 300,
    height: 180,
    layer: [
      {
        mark: "bar",
        encoding: {
          y: { field: "feature", type: "nominal", title: null, sort: null },
          x: { field: "mean", type: "quantitative", title: "mean accuracy drop" },
        },
      },
      {
        mark: { type: "rule", color: "#333" },
        encoding: {
          y: { field: "feature", type: "nominal", sort: null },
          x: { field: "low", type: "quantitative" },
          x2: { field: "high" },
        },
      },
    ],
  } as never);
}

function scatterChart(figures: TrainFigures, fx: number, fy: number) {
  const [nx, ny] = [FEATURES[fx] as string, FEATURES[fy] as string];
  const others = FEATURES.flatMap((name, f) =>
    f === fx || f === fy
      ? []
      : [`${name.replace("_", " ")} = ${fixed(figures.medians[f] as number, 2)} cm`],
  );
  const flowers = (part: "train" | "test") =>
    figures[part].rows.map((row, i) => ({
      x: row[fx],
      y: row[fy],
      species: figures.classes[figures[part].labels[i] as number],
      part: part === "train" ? "training" : "test",
    }));
  const scale = speciesScale(figures.classes);
  const xDomain = figures.extent[fx];
  const yDomain = figures.extent[fy];
  return renderChart({
    title: `${nx.replace("_", " ")} × ${ny.replace("_", " ")}: the model's regions`,
    width: 360,
    height: 300,
    layer: [
      {
        data: { values: figures.regions(fx, fy) },
        mark: { type: "rect", opacity: 0.22, aria: false },
        encoding: {
          x: {
            field: "x",
            type: "quantitative",
            scale: { domain: xDomain, nice: false, zero: false },
            title: label(nx),
          },
          x2: { field: "x2" },
          y: {
            field: "y",
            type: "quantitative",
            scale: { domain: yDomain, nice: false, zero: false },
            title: label(ny),
          },
          y2: { field: "y2" },
          color: { field: "species", type: "nominal", scale, title: "species" },
        },
      },
      {
        data: { values: [...flowers("train"), ...flowers("test")] },
        mark: {
          type: "point",
          filled: true,
          size: 36,
          opacity: 0.9,
          stroke: "#222",
          strokeWidth: 0.5,
        },
        encoding: {
          x: { field: "x", type: "quantitative" },
          y: { field: "y", type: "quantitative" },
          color: { field: "species", type: "nominal", scale },
          shape: {
            field: "part",
            type: "nominal",
            title: "rows",
            scale: { domain: ["training", "test"], range: ["circle", "triangle-up"] },
          },
        },
      },
    ],
    resolve: { scale: { color: "shared" } },
  } as never).then((svg) => ({
    svg,
    caption: `Shaded: the class the model predicts over the plane, with ${others.join(" and ")} (their training medians).`,
  }));
}

export async function renderTrainReport(
  result: TrainResult,
  options: TrainReportOptions = {},
): Promise<string> {
  const figures = trainFigures(result, options.data ?? loadIris());
  const { manifest, test, crossValidation: cv } = result;
  const classes = manifest.classes;
  const data = manifest.data as { train_rows: number; test_rows: number; source: string };
  const trees = (manifest.hyperparameters as { trees: number }).trees;

  const [confusion, perClass, folds, importance, petal, sepal] = await Promise.all([
    confusionChart(result),
    perClassChart(result),
    foldsChart(result),
    importanceChart(figures),
    scatterChart(figures, 2, 3),
    scatterChart(figures, 0, 1),
  ]);

  const body = `
<h1>Training report: model ${escapeHtml(manifest.model_version)}</h1>
<p class="lead">${trees} trees, trained on ${data.train_rows} rows of ${escapeHtml(data.source)}, tested on ${data.test_rows} held out.</p>
${table(
  "summary",
  ["figure", "value"],
  [
    ["test accuracy", percent(test.accuracy)],
    [
      `${cv.folds}-fold cross-validation accuracy (mean ± std)`,
      `${percent(cv.accuracy_mean)} ± ${percent(cv.accuracy_std)}`,
    ],
    ["training rows", String(data.train_rows)],
    ["test rows", String(data.test_rows)],
  ],
)}
<h2>Test metrics</h2>
<div class="charts">${figure(confusion)}${figure(perClass)}</div>
${table(
  "per-class",
  ["class", "precision", "recall", "f1", "support"],
  classes.map((name) => {
    const m = test.per_class[name];
    return m
      ? [name, fixed(m.precision), fixed(m.recall), fixed(m.f1), String(m.support)]
      : [name, "", "", "", ""];
  }),
)}
${table(
  "confusion",
  ["true \\ predicted", ...classes],
  classes.map((name, t) => [name, ...(test.confusion_matrix[t] ?? []).map(String)]),
)}
<h2>Cross-validation</h2>
<div class="charts">${figure(folds, "The dashed line is the mean over the folds.")}</div>
${table(
  "folds",
  ["fold", "accuracy"],
  cv.accuracies.map((a, i) => [`fold ${i + 1}`, fixed(a)]),
)}
<h2>Feature importance</h2>
<div class="charts">${figure(importance, `Each feature's test-row column shuffled ${PERMUTATION_REPEATS} times (seeded): the mean drop of accuracy, ± one standard deviation.`)}</div>
${table(
  "importance",
  ["feature", "mean accuracy drop", "std"],
  figures.importance.map((m) => [m.feature, fixed(m.mean), fixed(m.std)]),
)}
<h2>Decision regions</h2>
<div class="charts">${figure(petal.svg, petal.caption)}${figure(sepal.svg, sepal.caption)}</div>
`;
  return page(`Training report ${manifest.model_version}`, body);
}
