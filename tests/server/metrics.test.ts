/**
 * GET /metrics (server/metrics.ts) over sockets on 127.0.0.1: a known mix of requests (good and
 * refused, /predict and /invocations, an unknown path, a request refused before routing) is
 * scraped, read with a strict parser of the text format, and counted exactly: requests by route
 * and status, the latency histogram's counts, predictions by species, not-Iris rows, the model's
 * version, the process's metrics. Unknown paths make no new route labels (property).
 */
import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import fc from "fast-check";
import type { Predictor } from "../../core/predictor.js";
import { ServerMetrics, UNMATCHED_ROUTE } from "../../server/metrics.js";
import { SERVER_ROUTES } from "../../serving/routes.js";
import { AppServers, type Served } from "../helpers/app-servers.js";
import { rowOf, SETOSA, type TrainedModel, trainedModel, VIRGINICA } from "../helpers/model.js";
import {
  type Exposition,
  parsePrometheusText,
  samplesOf,
  sampleValue,
} from "../helpers/prometheus-text.js";

/** The server's routes: the catalogue's (serving/routes.ts). */
const ROUTES: readonly string[] = SERVER_ROUTES.map((route) => route.path);
/** Far from every flower: the novelty check says it is not an Iris. */
const NOT_IRIS = [50, 50, 50, 50];
const REQUESTS = "iris_http_requests_total";
const DURATION = "iris_http_request_duration_seconds";

async function scrape(url: string): Promise<{ exposition: Exposition; type: string | null }> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  return {
    exposition: parsePrometheusText(await res.text()),
    type: res.headers.get("content-type"),
  };
}

/** Expected iris_predictions_total by species and the not-Iris count, from the predictor. */
function expectedPredictions(predictor: Predictor, rows: number[][]) {
  const species = new Map(predictor.classes.map((name) => [name, 0]));
  let notIris = 0;
  for (const row of rows) {
    const p = predictor.predict(row);
    species.set(p.species, (species.get(p.species) ?? 0) + 1);
    if (!p.is_iris) notIris++;
  }
  return { species, notIris };
}

describe("server/metrics.ts GET /metrics", () => {
  let model: TrainedModel;
  const servers = new AppServers();
  before(async () => {
    model = await trainedModel();
  });
  afterEach(() => servers.closeAll());

  const urlOf = (served: Served) => `http://127.0.0.1:${served.port}`;
  const post = (url: string, path: string, body: string, type = "application/json") =>
    fetch(`${url}${path}`, { method: "POST", headers: { "content-type": type }, body });

  it("counts a known mix exactly: by route and status, latency, species, not-Iris", async () => {
    const served = await servers.serve(model.predictor);
    const url = urlOf(served);
    assert.equal(model.predictor.predict(NOT_IRIS).is_iris, false, "the not-Iris row is not one");
    const answered: number[][] = [];
    const statuses: number[] = [];
    const send = async (res: Promise<Response>) => {
      const r = await res;
      await r.arrayBuffer();
      statuses.push(r.status);
    };
    // 5 setosas one at a time, a batch of 3 not-Iris rows
    for (let i = 0; i < 5; i++) await send(post(url, "/predict", JSON.stringify(SETOSA)));
    answered.push(...Array.from({ length: 5 }, () => rowOf(SETOSA)));
    await send(
      post(url, "/predict", JSON.stringify({ instances: [NOT_IRIS, NOT_IRIS, NOT_IRIS] })),
    );
    answered.push(NOT_IRIS, NOT_IRIS, NOT_IRIS);
    // three 400s, a 405, a 404
    await send(post(url, "/predict", "{"));
    await send(post(url, "/predict", "{"));
    await send(post(url, "/predict", "[1,2,3]"));
    await send(fetch(`${url}/predict`));
    await send(fetch(`${url}/no/such/route?x=1`));
    // an /invocations CSV batch, and one refused at its last row (its rows are not counted)
    const batch = [rowOf(SETOSA), rowOf(VIRGINICA), NOT_IRIS, rowOf(SETOSA)];
    await send(post(url, "/invocations", batch.map((r) => r.join(",")).join("\n"), "text/csv"));
    answered.push(...batch);
    await send(post(url, "/invocations", "5.1,3.5,1.4,0.2\n1,2,3\n", "text/csv"));
    // refused before routing: two Host headers
    const raw = await served.open();
    await raw.write("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    assert.equal((await raw.response()).status, 400);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 400, 400, 400, 405, 404, 200, 400]);

    const { exposition, type } = await scrape(url);
    assert.equal(type, "text/plain; version=0.0.4; charset=utf-8");
    const requests = samplesOf(exposition, REQUESTS).map(
      (s) => `${s.labels.route} ${s.labels.status} ${s.value}`,
    );
    assert.deepEqual(requests.sort(), [
      "/invocations 200 1",
      "/invocations 400 1",
      "/predict 200 6",
      "/predict 400 3",
      "/predict 405 1",
      `${UNMATCHED_ROUTE} 400 1`,
      `${UNMATCHED_ROUTE} 404 1`,
    ]);
    assert.equal(exposition.types.get(REQUESTS), "counter");

    // the histogram counts every request, by route, in cumulative buckets
    assert.equal(exposition.types.get(DURATION), "histogram");
    for (const route of ["/predict", "/invocations", UNMATCHED_ROUTE]) {
      const requestsOfRoute = samplesOf(exposition, REQUESTS, { route }).reduce(
        (sum, s) => sum + s.value,
        0,
      );
      assert.equal(sampleValue(exposition, `${DURATION}_count`, { route }), requestsOfRoute, route);
      const buckets = samplesOf(exposition, `${DURATION}_bucket`, { route });
      assert.equal(buckets.at(-1)?.labels.le, "+Inf");
      assert.equal(buckets.at(-1)?.value, requestsOfRoute);
      for (let i = 1; i < buckets.length; i++)
        assert.ok((buckets[i]?.value ?? 0) >= (buckets[i - 1]?.value ?? 0), "cumulative");
      assert.ok(sampleValue(exposition, `${DURATION}_sum`, { route }) >= 0);
    }
    assert.ok(sampleValue(exposition, `${DURATION}_sum`, { route: "/predict" }) > 0);

    const expected = expectedPredictions(model.predictor, answered);
    for (const [species, n] of expected.species)
      assert.equal(sampleValue(exposition, "iris_predictions_total", { species }), n, species);
    assert.equal(sampleValue(exposition, "iris_predictions_not_iris_total"), expected.notIris);
    assert.equal(expected.notIris, 4);

    const info = samplesOf(exposition, "iris_model_info");
    assert.deepEqual(
      info.map((s) => [s.labels.version, s.value]),
      [[model.modelVersion, 1]],
    );
    // the process's own metrics
    for (const name of [
      "process_cpu_user_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_heap_size_used_bytes",
      "nodejs_eventloop_lag_seconds",
    ])
      assert.ok(samplesOf(exposition, name).length > 0, name);

    // the scrape is a request too, counted once answered
    const again = (await scrape(url)).exposition;
    assert.equal(sampleValue(again, REQUESTS, { route: "/metrics", status: "200" }), 1);
    assert.equal(sampleValue(again, REQUESTS, { route: "/predict", status: "200" }), 6);
  });

  it("counts a request that timed out with its route", async () => {
    const served = await servers.serve(model.predictor, {
      timeouts: { headersMs: 300, requestMs: 300 },
    });
    const raw = await served.open();
    // a body that never comes: node answers 408 at the request timeout
    await raw.write(
      "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{",
    );
    assert.equal((await raw.response()).status, 408);
    const { exposition } = await scrape(urlOf(served));
    assert.equal(sampleValue(exposition, REQUESTS, { route: "/predict", status: "408" }), 1);
    assert.equal(sampleValue(exposition, `${DURATION}_count`, { route: "/predict" }), 1);
  });

  it("makes no route label of an unknown path, whatever the path (property)", async () => {
    const served = await servers.serve(model.predictor);
    const url = urlOf(served);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string, method: string) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          { host: "127.0.0.1", port: served.port, path, method, agent },
          (res) => {
            res.resume();
            res.on("end", resolve);
          },
        );
        req.on("error", reject);
        req.end();
      });
    const piece = fc.oneof(
      fc.constantFrom("predict", "metrics", "ping", "%70ing", "%2F", "%", "..", ".", "", "?q=1"),
      fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/),
    );
    const path = fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => `/${p.join("/")}`);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(path, fc.constantFrom("GET", "POST", "HEAD")), {
            minLength: 1,
            maxLength: 5,
          }),
          async (targets) => {
            for (const [target, method] of targets) await get(target, method);
            const { exposition } = await scrape(url);
            for (const sample of samplesOf(exposition, REQUESTS))
              assert.ok(
                ROUTES.includes(sample.labels.route as string) ||
                  sample.labels.route === UNMATCHED_ROUTE,
                `route label ${sample.labels.route}`,
              );
          },
        ),
        { numRuns: 40 },
      );
    } finally {
      agent.destroy();
    }
  });

  it("is not served when metrics are off", async () => {
    const served = await servers.serve(model.predictor, { metrics: false });
    assert.equal(served.app.metrics, undefined);
    const res = await fetch(`${urlOf(served)}/metrics`);
    assert.equal(res.status, 404);
  });

  it("answers what metricsText gives, and counts into the ServerMetrics given", async () => {
    const metrics = ServerMetrics.of(model.predictor);
    const served = await servers.serve(model.predictor, {
      metrics,
      metricsText: async () => ({ contentType: "text/plain; version=0.0.4", text: "up 1\n" }),
    });
    const url = urlOf(served);
    await (await post(url, "/predict", JSON.stringify(SETOSA))).arrayBuffer();
    const res = await fetch(`${url}/metrics`);
    assert.equal(await res.text(), "up 1\n");
    const own = parsePrometheusText((await metrics.text()).text);
    assert.equal(sampleValue(own, REQUESTS, { route: "/predict", status: "200" }), 1);
  });

  it("answers a 500 in the error shape when metricsText fails", async () => {
    const served = await servers.serve(model.predictor, {
      metricsText: () => Promise.reject(new Error("the primary is gone")),
    });
    const res = await fetch(`${urlOf(served)}/metrics`);
    assert.equal(res.status, 500);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "internal");
  });
});
