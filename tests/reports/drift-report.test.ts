/**
 * The drift report (reports/drift-report.ts) in headless Chromium, from DriftReports made by
 * hand: drawn, every chart there, the numbers on the page the report's, no request, in budget.
 */
import assert from "node:assert/strict";
import { FEATURES } from "../../core/features.js";
import type { DriftFigures, DriftReport } from "../../monitoring/types.js";
import { binLabels, renderDriftReport } from "../../reports/drift-report.js";
import { fixed, percent } from "../../reports/page.js";
import { REPORT_BUDGET_BYTES } from "./budget.js";
import { driftFixture } from "./drift-fixture.js";
import { nonWhitePixels } from "./png.js";
import { type Browser, chartTitles, launchChromium, show, tableText } from "./render.js";

const CHARTS = [
  "PSI per feature (dashed: warn and drift)",
  "sepal length (cm): training vs traffic",
  "sepal width (cm): training vs traffic",
  "petal length (cm): training vs traffic",
  "petal width (cm): training vs traffic",
  "Class mix: training labels vs predicted traffic",
  "Not-Iris share per day (dashed: warn and drift)",
  "Predicted class mix per day",
];

const largestPsi = (g: DriftFigures) => fixed(Math.max(...g.features.map((f) => f.psi)));
const groupRow = (name: string, g: DriftFigures) => [
  name,
  String(g.rows),
  percent(g.not_iris_share),
  largestPsi(g),
  g.verdict,
];

describe("reports: the drift report", function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  before(async () => {
    browser = await launchChromium({ width: 1200, height: 900 });
  });
  after(async () => {
    await browser?.close();
  });

  for (const kind of ["ok", "drift"] as const) {
    it(`"${kind}": every chart drawn, the report's numbers shown, no request, in budget`, async () => {
      const report = driftFixture(kind);
      const html = await renderDriftReport(report);
      assert.ok(Buffer.byteLength(html) < REPORT_BUDGET_BYTES, `${Buffer.byteLength(html)} bytes`);
      assert.doesNotMatch(html, /<script/i);
      const { page, requests, problems } = await show(browser as Browser, html);
      assert.deepEqual(await chartTitles(page), CHARTS);
      const { pixels, nonWhite } = nonWhitePixels(await page.screenshot({ fullPage: true }));
      assert.ok(nonWhite > pixels * 0.03, `${nonWhite} of ${pixels} pixels are not white`);
      assert.equal(await page.locator("h1 .badge").textContent(), kind);

      const o = report.overall;
      assert.deepEqual((await tableText(page, "summary")).slice(1), [
        ["verdict", report.verdict],
        ["captured rows", String(o.rows)],
        ["not-Iris share", percent(o.not_iris_share)],
        ["largest PSI", largestPsi(o)],
        ["training rows", String(report.training.rows)],
      ]);
      assert.deepEqual(
        (await tableText(page, "features")).slice(1),
        FEATURES.map((name) => {
          const f = o.features.find((x) => x.feature === name);
          assert.ok(f);
          return [name, fixed(f.psi), fixed(f.ks), f.verdict];
        }),
      );
      assert.deepEqual(
        (await tableText(page, "class-mix")).slice(1),
        Object.keys(report.training.class_mix).map((name) => [
          name,
          percent(report.training.class_mix[name] ?? 0),
          percent(o.class_mix[name] ?? 0),
        ]),
      );
      assert.deepEqual(
        (await tableText(page, "by-day")).slice(1),
        Object.entries(report.by_day).map(([day, g]) => groupRow(day, g)),
      );
      assert.deepEqual(
        (await tableText(page, "by-version")).slice(1),
        Object.entries(report.by_model_version).map(([v, g]) => groupRow(v, g)),
      );
      assert.deepEqual(requests, []);
      assert.deepEqual(problems, []);
      await page.close();
    });
  }

  it("draws each histogram over the profile's bins, and escapes text it did not write", async () => {
    assert.deepEqual(binLabels([1, 2.5]), ["< 1", "1–2.5", "≥ 2.5"]);
    const hostile = "<img src=x onerror=alert(1)>";
    const base = driftFixture("ok");
    const report: DriftReport = {
      ...base,
      model_version: hostile,
      by_model_version: { [hostile]: base.overall },
    };
    const html = await renderDriftReport(report);
    assert.ok(!html.includes(hostile));
    const { page } = await show(browser as Browser, html);
    assert.equal(await page.locator("img").count(), 0);
    assert.ok(((await page.locator("h1").textContent()) ?? "").includes(hostile));
    assert.deepEqual((await tableText(page, "by-version"))[1]?.[0], hostile);
    // one bar per bin and source in each histogram: 2 × (edges + 1)
    for (const [f, name] of FEATURES.entries()) {
      const bars = await page.locator(`svg[data-chart="${CHARTS[f + 1]}"] .role-mark path`).count();
      assert.equal(bars, 2 * (report.training.features[name].edges.length + 1), name);
    }
    await page.close();
  });
});
