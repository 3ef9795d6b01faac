/**
 * The OpenAPI document against the doors themselves: every operation it puts on a door is
 * answered there (and every method it does not list is a 405 naming the one it does), every path
 * it does not list is a 404, and a representative set of real answers (each status the doors
 * give, /invocations in each content type, HEAD) validates against it. The server is asked over
 * a socket on 127.0.0.1, the Lambda through its handler; each answer is checked by
 * tests/helpers/openapi-calls.ts before the test looks at it.
 */
import assert from "node:assert/strict";
import type { ApiHandler } from "../../handlers/api.js";
import { openApiDocument, openApiJson } from "../../serving/openapi.js";
import { AppServers, type Served } from "../helpers/app-servers.js";
import { SETOSA, trainedModel, VIRGINICA } from "../helpers/model.js";
import { type Ask, askLambda, askServer, lambdaFor } from "../helpers/openapi-calls.js";
import type { Door } from "../helpers/openapi-check.js";

const doc = openApiDocument() as {
  paths: Record<string, Record<string, { "x-doors": Door[] }>>;
};
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"] as const;

/** What each route is asked with to get its 200. */
const GOOD: Record<string, Partial<Ask>> = {
  "/predict": { body: JSON.stringify(SETOSA) },
  "/invocations": { body: JSON.stringify([SETOSA, VIRGINICA]) },
};
const NO_ROUTES = ["/nope", "/predict/extra", "/openapi", "/metrics.json", "/Health"];

const servers = new AppServers();
let served: Served;
let lambda: ApiHandler;

before(async () => {
  const { predictor } = await trainedModel();
  served = await servers.serve(predictor);
  lambda = await lambdaFor(async () => predictor, ["https://example.org"]);
});
after(() => servers.closeAll());

const doors: [Door, (ask: Ask) => ReturnType<typeof askServer>][] = [
  ["server", (ask) => askServer(served, ask)],
  ["lambda", (ask) => askLambda(lambda, ask)],
];

for (const [door, ask] of doors) {
  describe(`the ${door} answers exactly the document's routes`, () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const documented = item[method === "HEAD" ? "get" : method.toLowerCase()];
        const answered = documented?.["x-doors"].includes(door) === true;
        const [allowed] = Object.keys(item);
        const expected = answered
          ? "200"
          : documented === undefined && Object.values(item).some((o) => o["x-doors"].includes(door))
            ? `405, Allow ${allowed?.toUpperCase()}`
            : "404";
        it(`${method} ${path}: ${expected}`, async () => {
          const seen = await ask({ method, url: path, ...(answered ? GOOD[path] : {}) });
          if (answered) assert.equal(seen.status, 200, seen.body);
          else if (expected === "404") assert.equal(seen.status, 404, seen.body);
          else {
            assert.equal(seen.status, 405, seen.body);
            assert.equal(seen.headers.allow, allowed?.toUpperCase());
          }
        });
      }
    }
    for (const path of NO_ROUTES)
      it(`GET ${path}, in no route of the document: 404`, async () => {
        assert.equal((await ask({ method: "GET", url: path })).status, 404);
      });
  });

  describe(`the ${door}'s answers validate against the document`, () => {
    it("GET /openapi.json is the document itself", async () => {
      const seen = await ask({ method: "GET", url: "/openapi.json" });
      assert.equal(seen.body, openApiJson());
    });
    it("POST /predict: one flower, a batch, a trailing slash and a query", async () => {
      for (const url of ["/predict", "/predict/", "/predict?x=1"]) {
        const one = await ask({ method: "POST", url, body: JSON.stringify([5.1, 3.5, 1.4, 0.2]) });
        assert.equal(one.status, 200);
      }
      const batch = await ask({
        method: "POST",
        url: "/predict",
        body: JSON.stringify({ instances: [SETOSA, [6.3, 3.3, 6, 2.5]] }),
      });
      assert.equal((JSON.parse(batch.body) as { predictions: unknown[] }).predictions.length, 2);
    });
    it("400 for bad JSON and for bad input, 413 for too many instances, 415 for a gzip body", async () => {
      const statuses = [];
      for (const request of [
        { body: "{" },
        { body: JSON.stringify({ ...SETOSA, petal_width: -1 }) },
        { body: JSON.stringify({ instances: Array.from({ length: 10_001 }, () => [1, 1, 1, 1]) }) },
        { body: JSON.stringify(SETOSA), headers: { "content-encoding": "gzip" } },
      ])
        statuses.push((await ask({ method: "POST", url: "/predict", ...request })).status);
      assert.deepEqual(statuses, [400, 400, 413, 415]);
    });
    it("GET / is the page with its ETag, and a 304 when If-None-Match names it", async () => {
      const page = await ask({ method: "GET", url: "/" });
      const etag = page.headers.etag as string;
      const again = await ask({ method: "GET", url: "/", headers: { "if-none-match": etag } });
      assert.equal(again.status, 304);
      assert.equal((await ask({ method: "HEAD", url: "/" })).status, 200);
    });
    it("GET /health answers the model version", async () => {
      const seen = await ask({ method: "GET", url: "/health" });
      assert.equal(seen.headers["x-model-version"], JSON.parse(seen.body).model_version);
    });
  });
}

describe("the server's SageMaker answers validate against the document", () => {
  const ask = (request: Ask) => askServer(served, request);
  const CSV = "5.1,3.5,1.4,0.2\n6.3,3.3,6,2.5\n";
  const LINES = `${JSON.stringify(SETOSA)}\n[6.3,3.3,6,2.5]\n`;
  for (const [type, body] of [
    ["application/json", JSON.stringify({ instances: [SETOSA, VIRGINICA] })],
    ["text/csv", `sepal_length,sepal_width,petal_length,petal_width\n${CSV}`],
    ["application/jsonlines", LINES],
  ] as const) {
    for (const accept of ["application/json", "text/csv", "application/jsonlines"])
      it(`POST /invocations, ${type} answered in ${accept}`, async () => {
        const seen = await ask({
          method: "POST",
          url: "/invocations",
          headers: { "content-type": type, accept },
          body,
        });
        assert.equal(seen.status, 200, seen.body);
        assert.match(String(seen.headers["content-type"]), new RegExp(`^${accept}`));
      });
  }
  it("POST /invocations refused: 400, 406, 413, 415", async () => {
    const refusals: Partial<Ask>[] = [
      { headers: { "content-type": "text/csv" }, body: "1,2,3\n" },
      { headers: { accept: "image/png" }, body: "[1,1,1,1]" },
      { headers: { "content-type": "text/csv" }, claimedLength: 7 * 1024 * 1024 },
      { headers: { "content-type": "application/xml" }, body: "<x/>" },
    ];
    const statuses = [];
    for (const refusal of refusals)
      statuses.push((await ask({ method: "POST", url: "/invocations", ...refusal })).status);
    assert.deepEqual(statuses, [400, 406, 413, 415]);
  });
  it("POST /predict over 1 MiB is a 413 from its Content-Length", async () => {
    const seen = await ask({ method: "POST", url: "/predict", claimedLength: 2 * 1024 * 1024 });
    assert.equal(seen.status, 413);
  });
  it("GET /ping, GET /execution-parameters and GET /metrics", async () => {
    for (const url of ["/ping", "/execution-parameters", "/metrics"])
      assert.equal((await ask({ method: "GET", url })).status, 200, url);
  });
  it("503 overloaded, with Retry-After, when the in-flight budget is full", async () => {
    const { predictor } = await trainedModel();
    const full = await servers.serve(predictor, { budget: { requests: 0 } });
    const seen = await askServer(full, { method: "POST", url: "/predict", body: "[1,1,1,1]" });
    assert.equal(seen.status, 503, seen.body);
    assert.ok(seen.headers["retry-after"]);
  });
});

describe("the Lambda's other answers validate against the document", () => {
  it("503 model_unavailable while no model can be loaded; the page is still answered", async () => {
    const broken = await lambdaFor(async () => {
      throw new Error("NoSuchKey");
    });
    const health = await askLambda(broken, { method: "GET", url: "/health" });
    assert.equal(health.status, 503);
    assert.equal(JSON.parse(health.body).error.code, "model_unavailable");
    assert.equal((await askLambda(broken, { method: "GET", url: "/openapi.json" })).status, 200);
    assert.equal((await askLambda(broken, { method: "GET", url: "/" })).status, 200);
  });
  it("an allowed origin gets the CORS headers the document describes", async () => {
    const seen = await askLambda(lambda, {
      method: "POST",
      url: "/predict",
      headers: { origin: "https://example.org" },
      body: JSON.stringify(SETOSA),
    });
    assert.equal(seen.headers["access-control-allow-origin"], "https://example.org");
  });
});
