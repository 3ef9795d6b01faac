/**
 * The web page at GET / in a real browser (Debian's Chromium, scripts/browser.ts), end to end:
 * from the local server (server/app.ts, with a trained model) and from the Lambda handler behind
 * a small HTTP adapter (tests/helpers/lambda-http.ts) under each auth mode. Every wait is on a
 * condition, never a sleep; the browser is closed whatever happens.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Page } from "playwright-core";
import { createApiHandler } from "../../handlers/api.js";
import { type Browser, launchChromium } from "../../scripts/browser.js";
import { type App, buildApp } from "../../server/app.js";
import { trainingFlowers } from "../../serving/page/flowers.js";
import type { PageAuth } from "../../serving/page/html.js";
import { discardOutput } from "../helpers/capture-output.js";
import { type LambdaHttp, serveLambda } from "../helpers/lambda-http.js";
import { trainedModel } from "../helpers/model.js";
import { PAGE_BUDGET_GZIP_BYTES } from "./budget.js";

const WAIT = { timeout: 30_000 };
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

// Waits are on locators (evaluated outside the page's own scripts, so its CSP, which forbids
// eval, does not apply) or on positions read from node; the tests are type-checked without the DOM.

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

/** Wait until the element `id` says `text`. */
const waitText = (page: Page, id: string, text: string) =>
  page
    .locator(`#${id}`)
    .filter({ hasText: exactly(text) })
    .waitFor(WAIT);

/** Wait until `check` holds, asking it every 50 ms for at most WAIT.timeout. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT.timeout;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`waited ${WAIT.timeout} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The id of the element that has the focus. */
const focused = (page: Page) => page.evaluate<string>("document.activeElement?.id ?? ''");

/** What the page's inputs hold, in FEATURES order. */
const inputValues = (page: Page) =>
  Promise.all(FEATURES.map((f) => page.locator(`#n-${f}`).inputValue()));

/** The centre of an element on the screen. */
async function centre(page: Page, selector: string): Promise<[number, number]> {
  const box = await page.locator(selector).boundingBox();
  assert.ok(box, selector);
  return [box.x + box.width / 2, box.y + box.height / 2];
}

/** Problems the page reported: script errors and anything the CSP refused. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  return problems;
}

describe("the web page in a browser", function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let app: App | undefined;
  let origin: string;

  before(async () => {
    const { predictor } = await trainedModel();
    app = buildApp({ predictor });
    origin = await app.listen({ host: "127.0.0.1", port: 0 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A fresh tab on the page, once its first prediction is shown. */
  async function open(): Promise<{ page: Page; problems: string[] }> {
    const page = await (browser as Browser).context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${origin}/`);
    await waitText(page, "species", "setosa");
    return { page, problems };
  }

  it("loads nothing but itself and its API answers, within the budget, with no CSP refusal", async () => {
    const page = await (browser as Browser).context.newPage();
    const problems = watchProblems(page);
    const loaded: Promise<[string, number]>[] = [];
    page.on("response", (response) => {
      loaded.push(response.body().then((body) => [response.url(), gzipSync(body).length]));
    });
    await page.goto(`${origin}/`);
    await waitText(page, "species", "setosa");
    await page.getByRole("button", { name: "virginica" }).click();
    await waitText(page, "species", "virginica");
    const responses = await Promise.all(loaded);
    for (const [url] of responses) assert.ok(url.startsWith(`${origin}/`), url);
    const total = responses.reduce((sum, [, bytes]) => sum + bytes, 0);
    assert.ok(total <= PAGE_BUDGET_GZIP_BYTES, `${total} bytes gzipped`);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("predicts as the inputs change: an example sets them, the species follows", async () => {
    const { page, problems } = await open();
    assert.equal(await page.locator("#version").textContent(), (await trainedModel()).modelVersion);
    await page.getByRole("button", { name: "virginica" }).click();
    await waitText(page, "species", "virginica");
    assert.deepEqual(await inputValues(page), ["6.3", "3.3", "6", "2.5"]);
    const sliders = await Promise.all(FEATURES.map((f) => page.locator(`#r-${f}`).inputValue()));
    assert.deepEqual(sliders, ["6.3", "3.3", "6", "2.5"]);
    assert.equal(await page.locator("#is-iris").textContent(), "yes");
    const share = await page.locator("#p-virginica").textContent();
    assert.ok(Number.parseInt(share ?? "", 10) > 50, share ?? "");
    await page.getByRole("button", { name: "not an iris" }).click();
    await waitText(page, "is-iris", "no");
    await page.getByRole("button", { name: "setosa" }).click();
    await waitText(page, "species", "setosa");
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("shows the API's own message for an input out of range, and clears it once fixed", async () => {
    const { page } = await open();
    await page.getByRole("spinbutton", { name: "Petal width (cm)", exact: true }).fill("0");
    const alert = page.getByRole("alert");
    await alert.waitFor({ state: "visible", ...WAIT });
    // the message is the API's answer to the same flower, not one the page wrote
    const api = await fetch(`${origin}/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        sepal_length: 5.1,
        sepal_width: 3.5,
        petal_length: 1.4,
        petal_width: 0,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const { error } = (await api.json()) as { error: { code: string; message: string } };
    assert.equal(api.status, 400);
    assert.equal(await alert.textContent(), `${error.message} (${error.code})`);
    assert.match(error.message, /petal_width: must be greater than 0 cm/);
    await waitText(page, "species", "—");
    await page.getByRole("spinbutton", { name: "Petal width (cm)", exact: true }).fill("0.2");
    await alert.waitFor({ state: "hidden", ...WAIT });
    await waitText(page, "species", "setosa");
    await page.close();
  });

  it("marks your flower on both plots where the training flower with its values is", async () => {
    const { page } = await open();
    const { rows } = trainingFlowers();
    for (const i of [100, 60, 0]) {
      const row = rows[i] as readonly number[];
      for (const [f, feature] of FEATURES.entries())
        await page.locator(`#n-${feature}`).fill(String(row[f]));
      for (const plot of ["petals", "sepals"]) {
        const [x, y] = await centre(page, `#${plot} circle[data-i="${i}"]`);
        const [mx, my] = await centre(page, `#${plot}-you circle`);
        assert.ok(
          Math.abs(x - mx) < 1 && Math.abs(y - my) < 1,
          `${plot} ${i}: ${[x, y]} vs ${[mx, my]}`,
        );
      }
    }
    // and it moves with an input: a longer petal is further right on the petal plot only
    const [before] = await centre(page, "#petals-you circle");
    const [sepalsBefore] = await centre(page, "#sepals-you circle");
    await page.locator("#n-petal_length").fill("5");
    await until(
      async () => (await centre(page, "#petals-you circle"))[0] > before + 10,
      "the marker to move right",
    );
    const [sepalsAfter] = await centre(page, "#sepals-you circle");
    assert.equal(sepalsAfter, sepalsBefore);
    await page.close();
  });

  it("works from the keyboard alone: Tab to a control, keys to change it", async () => {
    const { page } = await open();
    /** Press Tab until the element `id` has the focus (a bounded number of times). */
    const tabTo = async (id: string) => {
      for (let i = 0; i < 40; i++) {
        if ((await focused(page)) === id) return;
        await page.keyboard.press("Tab");
      }
      assert.fail(`Tab never reached #${id}`);
    };
    await tabTo("r-petal_length");
    await page.keyboard.press("End");
    await page.keyboard.press("Tab");
    assert.equal(await focused(page), "n-petal_length");
    assert.equal(await page.locator("#n-petal_length").inputValue(), "6.9");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await focused(page), "r-sepal_width");
    await page
      .locator("#species")
      .filter({ hasNotText: /^(setosa|\u2014)$/ })
      .waitFor(WAIT);
    // a number field takes arrows and typing; an example button takes Enter
    await tabTo("n-petal_width");
    await page.keyboard.press("ArrowUp");
    assert.equal(await page.locator("#n-petal_width").inputValue(), "0.3");
    assert.equal(await page.locator("#r-petal_width").inputValue(), "0.3");
    await tabTo("n-sepal_length");
    await page.keyboard.press("ControlOrMeta+a");
    await page.keyboard.type("-1");
    await page.getByRole("alert").waitFor({ state: "visible", ...WAIT });
    assert.match((await page.getByRole("alert").textContent()) ?? "", /sepal_length/);
    await page.evaluate(`document.querySelector("button[data-flower]").id = "example-setosa"`);
    await tabTo("example-setosa");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").waitFor({ state: "hidden", ...WAIT });
    await waitText(page, "species", "setosa");
    await page.close();
  });

  it("names every control and figure for assistive technology", async () => {
    const { page } = await open();
    for (const name of ["Sepal length", "Sepal width", "Petal length", "Petal width"]) {
      await page.getByRole("spinbutton", { name: `${name} (cm)`, exact: true }).waitFor(WAIT);
      await page.getByRole("slider", { name: `${name} (cm) slider`, exact: true }).waitFor(WAIT);
    }
    for (const species of ["setosa", "versicolor", "virginica", "not an iris"])
      await page.getByRole("button", { name: species, exact: true }).waitFor(WAIT);
    await page.getByRole("img", { name: /^petal width \(cm\) against petal length/ }).waitFor(WAIT);
    await page.getByRole("img", { name: /^sepal width \(cm\) against sepal length/ }).waitFor(WAIT);
    await page.getByRole("group", { name: "Example flowers" }).waitFor(WAIT);
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    await page.close();
  });

  describe("through the Lambda handler", () => {
    const served: LambdaHttp[] = [];
    afterEach(async () => {
      await Promise.all(served.splice(0).map((s) => s.close()));
    });

    async function lambda(auth: PageAuth): Promise<LambdaHttp> {
      const { predictor } = await trainedModel();
      const handler = await discardOutput(() =>
        createApiHandler({
          loadModel: async () => predictor,
          logger: new Logger({ serviceName: "iris-mlops", logLevel: "SILENT" }),
          metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
          auth,
          region: "eu-west-1",
        }),
      );
      const http = await serveLambda(async (event, context) =>
        discardOutput(() => handler(event, context)),
      );
      served.push(http);
      return http;
    }

    it("under none, predicts through POST /predict and shows the version from the header", async () => {
      const http = await lambda("none");
      const page = await (browser as Browser).context.newPage();
      await page.goto(`${http.url}/`);
      await waitText(page, "species", "setosa");
      await waitText(page, "version", (await trainedModel()).modelVersion);
      await page.getByRole("button", { name: "virginica" }).click();
      await waitText(page, "species", "virginica");
      assert.ok(http.seen.some((r) => r.method === "POST" && r.path === "/predict"));
      await page.close();
    });

    it("under jwt, asks for a token and sends it as Authorization: Bearer", async () => {
      const http = await lambda("jwt");
      const page = await (browser as Browser).context.newPage();
      await page.goto(`${http.url}/`);
      await page.getByRole("alert").waitFor({ state: "visible", ...WAIT });
      assert.match((await page.getByRole("alert").textContent()) ?? "", /token/);
      assert.ok(!http.seen.some((r) => r.path === "/predict"), "no call without a token");
      await page.getByLabel("Bearer token (JWT)").fill("eyJhbGciOiJub25lIn0.e30.sig");
      await waitText(page, "species", "setosa");
      const calls = http.seen.filter((r) => r.path === "/predict");
      assert.ok(calls.length > 0);
      for (const call of calls)
        assert.equal(call.headers.authorization, "Bearer eyJhbGciOiJub25lIn0.e30.sig");
      await page.close();
    });

    it("under iam, shows the signed curl call, draws the flower, and calls nothing", async () => {
      const http = await lambda("iam");
      const page = await (browser as Browser).context.newPage();
      const problems = watchProblems(page);
      await page.goto(`${http.url}/`);
      const curl = page.locator("pre code");
      await waitText(page, "curl-url", `${http.url}/predict`);
      assert.match(
        (await curl.textContent()) ?? "",
        /curl --aws-sigv4 "aws:amz:eu-west-1:execute-api"/,
      );
      const [before] = await centre(page, "#petals-you circle");
      await page.getByRole("button", { name: "virginica" }).click();
      await waitText(
        page,
        "curl-body",
        JSON.stringify({ sepal_length: 6.3, sepal_width: 3.3, petal_length: 6, petal_width: 2.5 }),
      );
      const [after] = await centre(page, "#petals-you circle");
      assert.ok(after > before + 50, `${before} → ${after}`);
      assert.deepEqual(
        http.seen.map((r) => `${r.method} ${r.path}`),
        ["GET /"],
      );
      assert.deepEqual(problems, []);
      await page.close();
    });
  });
});
