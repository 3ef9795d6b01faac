/**
 * A node:cluster worker for tests/server/metrics-cluster.test.ts: the app on the model at
 * $METRICS_TEST_MODEL, answering GET /metrics with the cluster's metrics (server/metrics-cluster.ts),
 * each answer marked with a comment naming the worker that gave it. Tells the primary its port.
 */
import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { loadPredictor } from "../../core/predictor.js";
import { buildApp } from "../../server/app.js";
import { ServerMetrics } from "../../server/metrics.js";
import { clusterMetricsText } from "../../server/metrics-cluster.js";

async function main(): Promise<void> {
  const predictor = await loadPredictor(readFileSync(process.env.METRICS_TEST_MODEL as string));
  const metrics = ServerMetrics.of(predictor);
  const clusterText = clusterMetricsText(metrics);
  const app = buildApp({
    predictor,
    metrics,
    metricsText: async () => {
      const { contentType, text } = await clusterText();
      return { contentType, text: `# answered by worker ${cluster.worker?.id}\n${text}` };
    },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  process.send?.({ type: "listening", port: (app.server.address() as AddressInfo).port });
}

main().catch((error) => {
  process.stderr.write(`${error}\n`);
  process.exit(1);
});
