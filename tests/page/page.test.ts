/**
 * The web page at GET / (serving/page/) as bytes and headers, through every front door: the local
 * server (and so the SageMaker container, the same app) and the Lambda handler in both payload
 * formats. Self-contained (nothing loaded from elsewhere), within its weight budget, under a CSP
 * whose hashes match its inline script and style, with a 304 for an unchanged page, and kept out
 * of the Lambda's prediction metrics.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { inject } from "light-my-request";
import { createApiHandler } from "../../handlers/api.js";
import { buildApp } from "../../server/app.js";
import { trainingFlowers } from "../../serving/page/flowers.js";
import { PAGE_AUTHS, type PageAuth, parseAuth, renderPage } from "../../serving/page/html.js";
import { LAMBDA_ROUTES } from "../../serving/routes.js";
import { captureOutput, metricsNamed } from "../helpers/capture-output.js";
import { expectErrorFor } from "../helpers/error-shape.js";
import { apiEvent, FORMATS, lambdaContext } from "../helpers/events.js";
import { trainedModel } from "../helpers/model.js";
import { PAGE_BUDGET_GZIP_BYTES } from "./budget.js";

const inlineScripts = (html: string) =>
  [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
const inlineStyles = (html: string) =>
  [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] as string);
const sha256 = (text: string) => createHash("sha256").update(text).digest("base64");

describe("the web page (serving/page/html.ts)", () => {
  for (const auth of PAGE_AUTHS) {
    describe(`under auth ${auth}`, () => {
      const page = renderPage({ auth, region: "eu-west-1", modelVersion: "0123456789abcdef" });

      it(`weighs at most ${PAGE_BUDGET_GZIP_BYTES} bytes gzipped`, () => {
        const bytes = gzipSync(page.html).length;
        assert.ok(bytes <= PAGE_BUDGET_GZIP_BYTES, `${bytes} bytes gzipped`);
      });

      it("references no other origin: no src, href (but its own public routes), url() or import outside the curl example", () => {
        const outsideCurl = page.html.replace(/<pre>[\s\S]*?<\/pre>/g, "");
        assert.doesNotMatch(outsideCurl, /https?:\/\//i);
        assert.doesNotMatch(outsideCurl, /\bsrc=/i);
        // a link relative to the page may name a route every auth mode leaves public
        const publicRoutes = LAMBDA_ROUTES.filter((r) => r.lambda.access === "public").map((r) =>
          r.path.slice(1),
        );
        for (const [, href] of outsideCurl.matchAll(/href="([^"]*)"/g))
          assert.ok(
            /^data:/.test(href as string) || publicRoutes.includes(href as string),
            `href ${href}`,
          );
        assert.doesNotMatch(outsideCurl, /\burl\(|@import|\bimport\(/);
      });

      it("allows only its own inline script and style, by hash, and calls only its own origin", () => {
        const csp = page.headers["content-security-policy"] as string;
        const scripts = inlineScripts(page.html);
        const styles = inlineStyles(page.html);
        assert.equal(scripts.length, 1);
        assert.equal(styles.length, 1);
        assert.ok(csp.includes(`script-src 'sha256-${sha256(scripts[0] as string)}'`), csp);
        assert.ok(csp.includes(`style-src 'sha256-${sha256(styles[0] as string)}'`), csp);
        assert.match(csp, /default-src 'none'/);
        assert.match(csp, /connect-src 'self'/);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
        // no inline event handlers or style attributes, which the policy would block
        assert.doesNotMatch(page.html, /\son[a-z]+=|\sstyle=/);
      });

      it("is HTML in UTF-8, revalidated on every use by its ETag", () => {
        assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
        assert.equal(page.headers["cache-control"], "no-cache");
        assert.equal(page.headers.etag, page.etag);
        assert.match(page.etag, /^"[A-Za-z0-9_-]+"$/);
        assert.equal(page.headers["x-content-type-options"], "nosniff");
      });

      it("plots the 150 training flowers on both plots, by species, with a marker for yours", () => {
        const { labels } = trainingFlowers();
        for (const id of ["petals", "sepals"]) {
          const svg = new RegExp(`<svg id="${id}"[\\s\\S]*?</svg>`).exec(page.html)?.[0] ?? "";
          const points = [...svg.matchAll(/<circle class="s(\d)" data-i="(\d+)"/g)];
          assert.equal(points.length, 150, id);
          for (const [, label, i] of points) assert.equal(Number(label), labels[Number(i)]);
          assert.match(svg, new RegExp(`id="${id}-you"`));
          assert.match(svg, /<title id="[a-z]+-title">/);
        }
      });

      it("labels every input, with its unit", () => {
        for (const f of ["sepal_length", "sepal_width", "petal_length", "petal_width"]) {
          assert.match(
            page.html,
            new RegExp(`<label for="n-${f}">[A-Z][a-z]+ (length|width) \\(cm\\)</label>`),
          );
          assert.match(page.html, new RegExp(`id="r-${f}" aria-label="[^"]+ \\(cm\\) slider"`));
        }
      });
    });
  }

  it("says how to sign under iam, takes a token under jwt, and neither under none", () => {
    const iam = renderPage({ auth: "iam", region: "eu-west-1" }).html;
    assert.match(iam, /curl --aws-sigv4 "aws:amz:eu-west-1:execute-api"/);
    assert.doesNotMatch(iam, /id="token"/);
    assert.match(renderPage({ auth: "iam" }).html, /aws:amz:&lt;region&gt;:execute-api/);
    const jwt = renderPage({ auth: "jwt" }).html;
    assert.match(jwt, /<label for="token">Bearer token \(JWT\)<\/label>/);
    assert.doesNotMatch(jwt, /aws-sigv4/);
    const none = renderPage({ auth: "none" }).html;
    assert.doesNotMatch(none, /aws-sigv4|id="token"/);
  });

  it("reads API_AUTH as none, iam or jwt, and nothing else", () => {
    assert.equal(parseAuth(undefined), "none");
    assert.equal(parseAuth(""), "none");
    assert.equal(parseAuth(" IAM "), "iam");
    assert.equal(parseAuth("jwt"), "jwt");
    assert.equal(parseAuth("cognito"), undefined);
  });
});

describe("GET / on the local server and the SageMaker container (server/app.ts)", () => {
  it("serves the page with its headers and the model version, HEAD without the body", async () => {
    const { predictor } = await trainedModel();
    const app = buildApp({ predictor, auth: "jwt" });
    try {
      const expected = renderPage({ auth: "jwt", modelVersion: predictor.modelVersion });
      const res = await inject(app.handle, { method: "GET", url: "/" });
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, expected.html);
      for (const [name, value] of Object.entries(expected.headers))
        assert.equal(res.headers[name], value, name);
      assert.equal(res.headers["x-model-version"], predictor.modelVersion);
      assert.equal(res.headers["content-length"], `${Buffer.byteLength(expected.html)}`);
      const head = await inject(app.handle, { method: "HEAD", url: "/" });
      assert.equal(head.statusCode, 200);
      assert.equal(head.body, "");
      assert.equal(head.headers.etag, expected.etag);
      const post = await inject(app.handle, { method: "POST", url: "/", payload: "x" });
      expectErrorFor(405, post.body);
      assert.equal(post.headers.allow, "GET");
    } finally {
      await app.close();
    }
  });

  it("answers 304 without a body to If-None-Match naming the page's ETag, 200 to another", async () => {
    const app = buildApp({ predictor: (await trainedModel()).predictor });
    try {
      const first = await inject(app.handle, { method: "GET", url: "/" });
      const etag = String(first.headers.etag);
      for (const tag of [etag, `W/${etag}`, `"other", ${etag}`]) {
        const again = await inject(app.handle, {
          method: "GET",
          url: "/",
          headers: { "if-none-match": tag },
        });
        assert.equal(again.statusCode, 304, tag);
        assert.equal(again.body, "");
        assert.equal(again.headers.etag, etag);
        assert.equal(again.headers["cache-control"], "no-cache");
      }
      const other = await inject(app.handle, {
        method: "GET",
        url: "/",
        headers: { "if-none-match": '"other"' },
      });
      assert.equal(other.statusCode, 200);
    } finally {
      await app.close();
    }
  });

  it("says none unless told otherwise", async () => {
    const app = buildApp({ predictor: (await trainedModel()).predictor });
    try {
      const res = await inject(app.handle, { method: "GET", url: "/" });
      assert.match(res.body, /"auth":"none"/);
    } finally {
      await app.close();
    }
  });
});

describe("GET / on the Lambda (handlers/api.ts)", () => {
  const handlerFor = async (auth: PageAuth | undefined, load = true) => {
    const { predictor } = await trainedModel();
    const [handler] = await captureOutput(async () => {
      const created = createApiHandler({
        loadModel: async () => {
          if (!load) throw new Error("NoSuchKey");
          return predictor;
        },
        logger: new Logger({ serviceName: "iris-mlops" }),
        metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
        ...(auth === undefined ? {} : { auth }),
        region: "eu-west-1",
      });
      await new Promise((resolve) => setImmediate(resolve));
      return created;
    });
    return { handler, predictor };
  };

  for (const format of FORMATS) {
    for (const stage of format === "1.0" ? ["prod"] : ["$default", "prod"]) {
      it(`answers the page to payload ${format} (stage ${stage}), as text, counted only as a request`, async () => {
        const { handler, predictor } = await handlerFor("iam");
        const event = apiEvent(format, { method: "GET", path: "/", stage });
        const [result, out] = await captureOutput(() => handler(event, lambdaContext()));
        const expected = renderPage({
          auth: "iam",
          region: "eu-west-1",
          modelVersion: predictor.modelVersion,
        });
        assert.equal(result.statusCode, 200);
        assert.equal(result.isBase64Encoded, false);
        assert.equal(result.body, expected.html);
        for (const [name, value] of Object.entries(expected.headers))
          assert.equal(result.headers?.[name], value, name);
        assert.equal(result.headers?.["x-model-version"], predictor.modelVersion);
        assert.equal(metricsNamed(out, "latency").length, 1, "one request");
        assert.deepEqual(metricsNamed(out, "predictions"), []);
        for (const species of predictor.classes)
          assert.deepEqual(metricsNamed(out, `predicted_${species}`), []);
      });
    }
  }

  it("answers 304 to If-None-Match naming the page's ETag", async () => {
    const { handler } = await handlerFor(undefined);
    const first = await captureOutput(() =>
      handler(apiEvent("2.0", { method: "GET", path: "/" }), lambdaContext()),
    );
    const etag = String(first[0].headers?.etag);
    assert.match(first[0].body, /"auth":"none"/, "none unless told");
    const [again] = await captureOutput(() =>
      handler(
        apiEvent("2.0", { method: "GET", path: "/", headers: { "If-None-Match": etag } }),
        lambdaContext(),
      ),
    );
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, "");
    assert.equal(again.headers?.etag, etag);
  });

  it("serves the page while no model can be loaded, and refuses POST / with Allow: GET", async () => {
    const { handler } = await handlerFor("jwt", false);
    const [page] = await captureOutput(() =>
      handler(apiEvent("2.0", { method: "GET", path: "/" }), lambdaContext()),
    );
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<label for="token">/);
    assert.equal(page.headers?.["x-model-version"], undefined);
    const [post] = await captureOutput(() =>
      handler(apiEvent("2.0", { method: "POST", path: "/", body: "{}" }), lambdaContext()),
    );
    expectErrorFor(405, post.body);
    assert.equal(post.headers?.allow, "GET");
  });
});
