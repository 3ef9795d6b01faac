/**
 * GET /metrics for a container that runs one app per core under node:cluster: whichever
 * worker a scrape reaches answers the whole container's metrics. The worker asks the primary
 * over IPC; the primary asks every worker for its registries (prom-client's AggregatorRegistry:
 * counters and histograms summed, `iris_model_info` by max, process metrics by their own
 * aggregators) and answers the one that asked. Prometheus then scrapes one target per container,
 * not one per worker it cannot address.
 *
 *   primary:  serveClusterMetrics();  cluster.fork(); …
 *   worker:   const metrics = ServerMetrics.of(predictor);
 *             buildApp({ predictor, metrics, metricsText: clusterMetricsText(metrics) })
 *
 * prom-client's worker side is one per process (AggregatorRegistry.setRegistries is global):
 * one app per worker, as the container runs it.
 */
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry } from "prom-client";
import { type MetricsText, processMetrics, type ServerMetrics } from "./metrics.js";

const ASK = "iris-mlops:cluster-metrics?";
const ANSWER = "iris-mlops:cluster-metrics";

/**
 * How long a worker waits for the primary's answer. The primary waits up to 5 s for the workers
 * (prom-client's own limit), so a little more: a worker that hangs makes a 5xx, not a hang.
 */
export const CLUSTER_METRICS_TIMEOUT_MS = 6_000;

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  contentType?: string;
  error?: string;
}

const isMessage = <T extends { type: string }>(message: unknown, type: T["type"]): message is T =>
  typeof message === "object" &&
  message !== null &&
  (message as { type?: unknown }).type === type &&
  typeof (message as { id?: unknown }).id === "number";

/**
 * In the cluster's primary: answer the workers' asks for the cluster's metrics. Returns a
 * function that stops answering.
 */
export function serveClusterMetrics(): () => void {
  if (!cluster.isPrimary) throw new Error("serveClusterMetrics runs in a cluster's primary");
  const aggregator = new AggregatorRegistry();
  const answer = (worker: Worker, reply: Answer) => {
    // a worker that went away while the others were asked has nobody to answer
    if (worker.isConnected()) worker.send(reply);
  };
  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMessage<Ask>(message, ASK)) return;
    const { id } = message;
    aggregator.clusterMetrics().then(
      (text) => answer(worker, { type: ANSWER, id, text, contentType: aggregator.contentType }),
      (error: Error) => answer(worker, { type: ANSWER, id, error: error.message }),
    );
  };
  cluster.on("message", onMessage);
  return () => {
    cluster.off("message", onMessage);
  };
}

/**
 * In a cluster worker: the `metricsText` of its app (AppOptions), the cluster's metrics asked
 * of the primary, and this worker's `metrics` offered to the primary's asks.
 */
export function clusterMetricsText(
  metrics: ServerMetrics,
  timeoutMs: number = CLUSTER_METRICS_TIMEOUT_MS,
): () => Promise<MetricsText> {
  if (!cluster.isWorker || process.send === undefined)
    throw new Error("clusterMetricsText runs in a cluster worker");
  AggregatorRegistry.setRegistries([metrics.registry, processMetrics()]);
  // made for its side effect: a worker's listener that answers the primary's asks
  new AggregatorRegistry();
  const send = process.send.bind(process);
  const waiting = new Map<number, (answer: Answer) => void>();
  let next = 0;
  process.on("message", (message: unknown) => {
    if (isMessage<Answer>(message, ANSWER)) waiting.get(message.id)?.(message);
  });
  return () =>
    new Promise<MetricsText>((resolve, reject) => {
      const id = next++;
      const done = (answer: Answer | Error) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (answer instanceof Error) reject(answer);
        else if (answer.text === undefined || answer.contentType === undefined)
          reject(new Error(`the cluster's metrics could not be gathered: ${answer.error}`));
        else resolve({ contentType: answer.contentType, text: answer.text });
      };
      const timer = setTimeout(
        () => done(new Error(`the cluster's primary did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiting.set(id, done);
      send({ type: ASK, id } satisfies Ask, undefined, {}, (error: Error | null) => {
        if (error) done(error);
      });
    });
}
