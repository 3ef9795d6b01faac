/**
 * server/metrics-cluster.ts: a real node:cluster of two workers (this process is the primary)
 * answers GET /metrics, from whichever worker, with both workers' counts summed; and the app's
 * metrics aggregate as prom-client's AggregatorRegistry sums them (model_info stays 1).
 */
import assert from "node:assert/strict";
import cluster, { type Worker } from "node:cluster";
import { request } from "node:http";
import { join } from "node:path";
import { AggregatorRegistry } from "prom-client";
import { ServerMetrics } from "../../server/metrics.js";
import { serveClusterMetrics } from "../../server/metrics-cluster.js";
import { SETOSA, trainedModel } from "../helpers/model.js";
import { parsePrometheusText, sampleValue } from "../helpers/prometheus-text.js";

/** One request on a connection of its own, so that the primary deals them out to the workers. */
function send(port: number, method: string, path: string, body?: string) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.setTimeout(20_000, () => req.destroy(new Error("no answer in 20 s")));
    req.end(body);
  });
}

describe("server/metrics-cluster.ts", () => {
  it("aggregates two apps' metrics: counts summed, model_info 1", async () => {
    const { predictor } = await trainedModel();
    const [a, b] = [ServerMetrics.of(predictor), ServerMetrics.of(predictor)];
    a.predicted([predictor.predict([5.1, 3.5, 1.4, 0.2])]);
    b.predicted([predictor.predict([5.1, 3.5, 1.4, 0.2]), predictor.predict([50, 50, 50, 50])]);
    const merged = AggregatorRegistry.aggregate(
      await Promise.all([a.registry.getMetricsAsJSON(), b.registry.getMetricsAsJSON()]),
    );
    const text = parsePrometheusText(await merged.metrics());
    const setosa = predictor.predict([5.1, 3.5, 1.4, 0.2]).species;
    assert.ok(sampleValue(text, "iris_predictions_total", { species: setosa }) >= 2);
    assert.equal(sampleValue(text, "iris_predictions_not_iris_total"), 1);
    assert.equal(sampleValue(text, "iris_model_info", { version: predictor.modelVersion }), 1);
  });

  it("answers the whole cluster's counts from either of two workers", async function () {
    this.timeout(120_000);
    const model = await trainedModel();
    const stop = serveClusterMetrics();
    cluster.setupPrimary({
      exec: join(__dirname, "../helpers/metrics-cluster-worker.ts"),
      execArgv: ["--import", "tsx"],
    });
    const workers: Worker[] = [];
    try {
      const ports = await Promise.all(
        [0, 1].map(
          () =>
            new Promise<number>((resolve, reject) => {
              const worker = cluster.fork({ METRICS_TEST_MODEL: model.tarballPath });
              workers.push(worker);
              worker.on("message", (m: { type?: string; port?: number }) => {
                if (m.type === "listening") resolve(m.port as number);
              });
              worker.once("exit", (code) => reject(new Error(`worker exited ${code}`)));
            }),
        ),
      );
      assert.equal(ports[0], ports[1], "the workers share one port");
      const port = ports[0] as number;
      const sent = 10;
      for (let i = 0; i < sent; i++)
        assert.equal((await send(port, "POST", "/predict", JSON.stringify(SETOSA))).status, 200);
      // scrape until both workers have answered one (connections are dealt out in turn)
      const answeredBy = new Set<string>();
      for (let i = 0; i < 10 && answeredBy.size < 2; i++) {
        const scrape = await send(port, "GET", "/metrics");
        assert.equal(scrape.status, 200);
        answeredBy.add(/^# answered by worker (\d+)/.exec(scrape.text)?.[1] ?? "?");
        const text = parsePrometheusText(scrape.text);
        assert.equal(
          sampleValue(text, "iris_http_requests_total", { route: "/predict", status: "200" }),
          sent,
        );
        assert.equal(
          sampleValue(text, "iris_http_request_duration_seconds_count", { route: "/predict" }),
          sent,
        );
        assert.equal(sampleValue(text, "iris_model_info", { version: model.modelVersion }), 1);
        assert.ok(sampleValue(text, "process_resident_memory_bytes") > 0);
      }
      assert.equal(answeredBy.size, 2, `answered by ${[...answeredBy]}`);
    } finally {
      stop();
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) resolve();
              else {
                worker.once("exit", () => resolve());
                worker.kill();
              }
            }),
        ),
      );
    }
  });
});
