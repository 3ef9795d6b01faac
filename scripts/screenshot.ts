/**
 * `npm run screenshot`: docs/images/page.png, the web page at GET / as a visitor sees it after
 * clicking the versicolor example; and docs/images/train-report.png and drift-report.png, the
 * training report of that model and a drift report of a hand-made drifting week
 * (tests/reports/drift-fixture.ts). Serves the page from the local server (server/app.ts) with a
 * model trained here with the defaults, on 127.0.0.1 at a port the OS picks, and photographs it
 * with Debian's Chromium (scripts/browser.ts).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { verifyArtifact } from "../core/artifact.js";
import { createPredictor } from "../core/predictor.js";
import { renderDriftReport } from "../reports/drift-report.js";
import { renderTrainReport } from "../reports/train-report.js";
import { buildApp } from "../server/app.js";
import { driftFixture } from "../tests/reports/drift-fixture.js";
import { loadIris } from "../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../training/options.js";
import { train } from "../training/train.js";
import { type Browser, launchChromium } from "./browser.js";

const IMAGES = resolve(__dirname, "..", "docs", "images");
const OUT = join(IMAGES, "page.png");

/** A report page, every request refused (it makes none), photographed whole. */
async function shoot(browser: Browser, html: string, file: string): Promise<void> {
  const page = await browser.context.newPage();
  await page.route("**/*", (route) => route.abort());
  await page.setContent(html, { waitUntil: "load" });
  await page.screenshot({ path: join(IMAGES, file), fullPage: true });
  console.log(`wrote ${join(IMAGES, file)}`);
  await page.close();
}

async function main(): Promise<void> {
  const result = train(loadIris(), DEFAULT_TRAIN_OPTIONS);
  const predictor = createPredictor(verifyArtifact(result.files));
  const app = buildApp({ predictor });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const browser = await launchChromium({ width: 1100, height: 900 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${url}/`);
    await page.getByRole("button", { name: "versicolor" }).click();
    await page.locator("#species", { hasText: "versicolor" }).waitFor({ timeout: 30_000 });
    mkdirSync(join(OUT, ".."), { recursive: true });
    await page.screenshot({ path: OUT, fullPage: true });
    console.log(`wrote ${OUT}`);
    await shoot(browser, await renderTrainReport(result), "train-report.png");
    await shoot(browser, await renderDriftReport(driftFixture("drift")), "drift-report.png");
  } finally {
    await browser.close();
    await app.close();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
