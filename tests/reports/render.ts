/**
 * A report in headless Chromium (scripts/browser.ts) with every request the page might make
 * routed to a refusal and recorded, so a test can assert it made none.
 */
import type { Page } from "playwright-core";
import { type Browser, launchChromium } from "../../scripts/browser.js";

export interface Shown {
  page: Page;
  /** URLs the page asked for (each refused). */
  requests: string[];
  /** Script errors and console errors, CSP refusals included. */
  problems: string[];
}

export async function show(browser: Browser, html: string): Promise<Shown> {
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  await page.route("**/*", (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  await page.setContent(html, { waitUntil: "load" });
  return { page, requests, problems };
}

/** A table's cells, row by row (header row first), as the page shows them. */
export async function tableText(page: Page, id: string): Promise<string[][]> {
  const rows = page.locator(`#${id} tr`);
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) {
    out.push((await rows.nth(i).locator("th, td").allInnerTexts()).map((t) => t.trim()));
  }
  return out;
}

/** The charts' titles (each SVG's data-chart), in page order. */
export const chartTitles = (page: Page) =>
  page
    .locator("svg[data-chart]")
    .evaluateAll((svgs) => svgs.map((s) => s.getAttribute("data-chart") ?? ""));

export { type Browser, launchChromium };
