/**
 * `npm run screenshot`: docs/images/page.png, the web page at GET / as a visitor sees it after
 * clicking the versicolor example. Serves the page from the local server (server/app.ts) with a
 * model trained here with the defaults, on 127.0.0.1 at a port the OS picks, and photographs it
 * with Debian's Chromium (scripts/browser.ts).
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { verifyArtifact } from "../core/artifact.js";
import { createPredictor } from "../core/predictor.js";
import { buildApp } from "../server/app.js";
import { loadIris } from "../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../training/options.js";
import { train } from "../training/train.js";
import { launchChromium } from "./browser.js";

const OUT = resolve(__dirname, "..", "docs", "images", "page.png");

async function main(): Promise<void> {
  const predictor = createPredictor(verifyArtifact(train(loadIris(), DEFAULT_TRAIN_OPTIONS).files));
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
  } finally {
    await browser.close();
    await app.close();
  }
}

main().catch((error: Error) => {
  console.error(error);
  process.exitCode = 1;
});
