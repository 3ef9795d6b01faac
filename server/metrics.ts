/**
 * Prometheus metrics of the local server and the SageMaker container, served at `GET /metrics`
 * (never on the Lambda): answers by route and status, their latency, predictions by species,
 * not-Iris answers, the model's version, and the process's own metrics (docs/metrics.md).
 *
 * Counting happens on every answer, so it is kept to plain numbers: a request adds one to a
 * per-(route, status) count and one to a latency bucket, nothing else. prom-client's own
 * `inc`/`observe` validate and hash their labels on every call (about 1 µs a request measured,
 * against 44 µs of server CPU for a whole request); here the counts are handed to prom-client
 * only when scraped, through each metric's `collect`. The route label is a route's path or
 * `unmatched`, never the request's URL, so no client can make new series.
 */
import type { ServerResponse } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, type Metric, Registry } from "prom-client";
import type { Prediction, Predictor } from "../core/predictor.js";
import { type Handler, routeOf } from "./router.js";

/** The route label of an answer to a path no route has, or to a request refused before routing. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * Latency buckets in seconds: the server answers a row in well under a millisecond, SageMaker
 * gives /invocations 60 s. Sixteen buckets: a bucket is a series per route.
 */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** What `GET /metrics` answers: prom-client's text and its content type. */
export interface MetricsText {
  contentType: string;
  text: string;
}

const started = Symbol("request start");
type Timed = ServerResponse & { [started]?: number };

/** Note when the request of `res` started: its answer's latency is measured from here. */
export const markStart = (res: ServerResponse): void => {
  (res as Timed)[started] = performance.now();
};

/** `handle`, noting when each request started: its answer's latency is measured from there. */
export const timedFrom =
  (handle: Handler): Handler =>
  (req, res) => {
    markStart(res);
    handle(req, res);
  };

/** One route's answers: counts by status and the latency histogram's buckets. */
class RouteTally {
  readonly statuses = new Map<number, number>();
  /** Answers per bucket, not cumulative; the last one is above every bound (+Inf). */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  seconds = 0;
  timed = 0;

  count(status: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  time(seconds: number): void {
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[bucket] as number))
      bucket++;
    (this.buckets[bucket] as number)++;
    this.seconds += seconds;
    this.timed++;
  }
}

/**
 * The request-latency histogram, filled from the tallies when scraped. A prom-client Histogram
 * cannot be given counts, only observations, so this is a metric of the shape prom-client's
 * registry reads (`get()`), as its own Histogram returns it.
 */
function latencyHistogram(name: string, tallies: ReadonlyMap<string, RouteTally>) {
  const help = "Time from a request's start to its answer being written, by route (seconds).";
  return {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    collect: () => {},
    reset: () => {},
    get: async () => {
      const values: { labels: Record<string, string>; value: number; metricName: string }[] = [];
      for (const [route, tally] of tallies) {
        if (tally.timed === 0) continue;
        let below = 0;
        for (let b = 0; b < LATENCY_BUCKETS.length; b++) {
          below += tally.buckets[b] as number;
          const le = `${LATENCY_BUCKETS[b]}`;
          values.push({ labels: { route, le }, value: below, metricName: `${name}_bucket` });
        }
        values.push({
          labels: { route, le: "+Inf" },
          value: tally.timed,
          metricName: `${name}_bucket`,
        });
        values.push({ labels: { route }, value: tally.seconds, metricName: `${name}_sum` });
        values.push({ labels: { route }, value: tally.timed, metricName: `${name}_count` });
      }
      return { name, help, type: "histogram", values, aggregator: "sum" };
    },
  };
}

let processRegistry: Registry | undefined;

/**
 * The process's metrics (CPU, memory, event loop, GC, handles: prom-client's default metrics),
 * one registry per process however many apps it runs: prom-client's GC observer and event-loop
 * monitor cannot be stopped, so one per app would pile up in a process that builds many (tests).
 */
export function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface ServerMetricsOptions {
  modelVersion: string;
  /** What vouched for the model (serving/model-trust.ts); "none" when nothing did. */
  verifiedBy?: string | undefined;
  /** Class names in label order: the species label's values. */
  classes: readonly string[];
}

/**
 * The predictions of one request, counted as its rows are predicted and added to the metrics
 * only once it is answered: a batch refused at its 900th row counts none.
 */
export class PredictionTally {
  /** Rows per species, in class order, then the rows that are not an Iris. */
  readonly counts: number[];

  constructor(private readonly speciesIndex: ReadonlyMap<string, number>) {
    this.counts = new Array<number>(speciesIndex.size + 1).fill(0);
  }

  addPredictions(predictions: readonly Prediction[]): void {
    const counts = this.counts;
    for (const prediction of predictions) {
      const index = this.speciesIndex.get(prediction.species);
      if (index !== undefined) (counts[index] as number)++;
      if (!prediction.is_iris) (counts[counts.length - 1] as number)++;
    }
  }

  /** Rows `0 .. count - 1` of a columnar batch's answers (core/batch.ts BatchPredictions). */
  addColumns(out: { species: ArrayLike<number>; isIris: ArrayLike<number> }, count: number): void {
    const counts = this.counts;
    let notIris = 0;
    for (let i = 0; i < count; i++) {
      (counts[out.species[i] as number] as number)++;
      if (out.isIris[i] === 0) notIris++;
    }
    (counts[counts.length - 1] as number) += notIris;
  }
}

/** One app's counts and the registry they are read from. */
export class ServerMetrics {
  /** The app's own metrics (its process's are in processMetrics()). */
  readonly registry = new Registry();
  private readonly tallies = new Map<string, RouteTally>();
  private readonly species: Float64Array;
  private readonly speciesIndex: Map<string, number>;
  private notIris = 0;

  constructor(private readonly options: ServerMetricsOptions) {
    const { classes } = options;
    this.species = new Float64Array(classes.length);
    this.speciesIndex = new Map(classes.map((name, index) => [name, index]));
    const tallies = this.tallies;
    const species = this.species;
    const read = () => this.notIris;
    const registers = [this.registry];
    new Counter({
      name: "iris_http_requests_total",
      help: "Answers given, by route (a route's path, or unmatched) and HTTP status.",
      labelNames: ["route", "status"],
      registers,
      collect(this: Counter<"route" | "status">) {
        this.reset();
        for (const [route, tally] of tallies)
          for (const [status, n] of tally.statuses) this.inc({ route, status }, n);
      },
    });
    this.registry.registerMetric(
      latencyHistogram("iris_http_request_duration_seconds", tallies) as unknown as Metric,
    );
    new Counter({
      name: "iris_predictions_total",
      help: "Rows predicted, by the forest's species (not-Iris rows included).",
      labelNames: ["species"],
      registers,
      collect(this: Counter<"species">) {
        this.reset();
        classes.forEach((name, index) => {
          this.inc({ species: name }, species[index] as number);
        });
      },
    });
    new Counter({
      name: "iris_predictions_not_iris_total",
      help: "Rows predicted that do not look like an Iris at all (is_iris: false).",
      registers,
      collect(this: Counter) {
        this.reset();
        this.inc(read());
      },
    });
    const info = new Gauge({
      name: "iris_model_info",
      help: "The model being served: its version and what verified it. Always 1.",
      labelNames: ["version", "verified_by"],
      registers,
      // every worker of a container serves the same model: 1, not the number of workers
      aggregator: "max",
    });
    info.set({ version: options.modelVersion, verified_by: options.verifiedBy ?? "none" }, 1);
  }

  /** The metrics of an app serving `predictor`. */
  static of(predictor: Predictor): ServerMetrics {
    return new ServerMetrics({
      modelVersion: predictor.modelVersion,
      verifiedBy: predictor.verification,
      classes: predictor.classes,
    });
  }

  get modelVersion(): string {
    return this.options.modelVersion;
  }

  /**
   * Count the answer to `res` (undefined: node's refusal of bytes that never became a request)
   * with `status`, and time it from its start. The Responder calls this as each answer is
   * written.
   */
  readonly answered = (res: ServerResponse | undefined, status: number): void => {
    const route = res === undefined ? UNMATCHED_ROUTE : (routeOf(res) ?? UNMATCHED_ROUTE);
    let tally = this.tallies.get(route);
    if (tally === undefined) {
      tally = new RouteTally();
      this.tallies.set(route, tally);
    }
    tally.count(status);
    if (res === undefined) return;
    // refused before routing, straight from its headers: answered as it started
    const start = (res as Timed)[started];
    tally.time(start === undefined ? 0 : (performance.now() - start) / 1000);
  };

  /** Count predictions answered, by species, and the ones that are not an Iris. */
  predicted(predictions: readonly Prediction[]): void {
    const tally = this.tally();
    tally.addPredictions(predictions);
    this.add(tally);
  }

  /** A tally for the rows of one request, to add() once it is answered. */
  tally(): PredictionTally {
    return new PredictionTally(this.speciesIndex);
  }

  /** Add the predictions counted in `tally` (for a request that was answered). */
  add(tally: PredictionTally): void {
    const counts = tally.counts;
    for (let c = 0; c < this.species.length; c++)
      (this.species[c] as number) += counts[c] as number;
    this.notIris += counts[counts.length - 1] as number;
  }

  /**
   * Count capture lines (server/capture-sink.ts) as `iris_capture_lines_total{outcome}`: captured,
   * dropped (the sink was full) and failed. Once per registry; a second call changes nothing.
   */
  countCaptures(stats: () => { captured: number; dropped: number; failed: number }): void {
    if (this.registry.getSingleMetric("iris_capture_lines_total") !== undefined) return;
    new Counter({
      name: "iris_capture_lines_total",
      help: "Sampled requests' capture lines, by outcome: captured, dropped (the sink was full) or failed.",
      labelNames: ["outcome"],
      registers: [this.registry],
      collect(this: Counter<"outcome">) {
        this.reset();
        const now = stats();
        this.inc({ outcome: "captured" }, now.captured);
        this.inc({ outcome: "dropped" }, now.dropped);
        this.inc({ outcome: "failed" }, now.failed);
      },
    });
  }

  /** This app's metrics and its process's, as Prometheus text. */
  async text(): Promise<MetricsText> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return { contentType: this.registry.contentType, text: `${own}\n${process}` };
  }
}
