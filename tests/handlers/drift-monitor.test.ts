/**
 * The DriftMonitor's function, `createDriftMonitorHandler`, against a real S3 protocol (s3rver):
 * the capture is listed and read through the client it is given, the figures come out as EMF
 * metrics, the reports land under the dated keys and latest.*, and a run that cannot read, or
 * whose model has no training profile, fails loudly and writes nothing. The drift figures and the
 * HTML are stand-ins here (their modules are tested on their own branches): this checks what the
 * function does with them.
 */
import assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { FEATURES } from "../../core/features.js";
import type { Predictor } from "../../core/predictor.js";
import {
  createDriftMonitorHandler,
  type DriftMonitorOptions,
  type MonitorModules,
  reportBase,
} from "../../handlers/drift-monitor.js";
import { checkPrefix, monitorSettingsFromEnv } from "../../handlers/drift-monitor-env.js";
import type {
  CaptureRecord,
  DriftReport,
  TrainingProfile,
  Verdict,
} from "../../monitoring/types.js";
import { captureOutput, logsSaying, metricsNamed } from "../helpers/capture-output.js";
import { lambdaContext } from "../helpers/events.js";
import { trainedModel } from "../helpers/model.js";
import { FakeS3 } from "../helpers/s3.js";

const CAPTURE = "capture-bucket";
const REPORTS = "reports-bucket";
const NOW = new Date("2026-12-02T13:04:05.678Z");

const PROFILE: TrainingProfile = {
  rows: 120,
  features: Object.fromEntries(
    FEATURES.map((f) => [f, { edges: [1, 2], shares: [0.3, 0.4, 0.3], sorted: [0.5, 1.5, 2.5] }]),
  ) as TrainingProfile["features"],
  class_mix: { setosa: 1 / 3, versicolor: 1 / 3, virginica: 1 / 3 },
};

const record = (i: number): CaptureRecord => ({
  time: new Date(NOW.getTime() - 3_600_000 + i * 1000).toISOString(),
  door: "lambda",
  model_version: "0123456789abcdef",
  features: [5.1, 3.5, 1.4, 0.2],
  species: "setosa",
  probabilities: { setosa: 1, versicolor: 0, virginica: 0 },
  is_iris: i % 4 !== 0,
});

/** Stand-in modules: a reader over the capture bucket through the given client, drift by count. */
function fakeModules(calls: { since?: Date; until?: Date; location?: string }, fail?: string) {
  const modules: MonitorModules = {
    async *readCapture(location, options) {
      Object.assign(calls, { location, since: options?.since, until: options?.until });
      const s3 = options?.s3 as S3Client;
      const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(location) ?? [];
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      for (const { Key } of listed.Contents ?? []) {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
        const text = await object.Body?.transformToString();
        for (const line of (text ?? "").split("\n").filter(Boolean))
          yield JSON.parse(line) as CaptureRecord;
        if (fail) throw new Error(fail);
      }
    },
    async computeDrift({ modelVersion, profile, records, since, until }) {
      let rows = 0;
      let notIris = 0;
      for await (const r of records) {
        rows++;
        if (!r.is_iris) notIris++;
      }
      const verdict: Verdict = rows === 0 ? "warn" : notIris / rows >= 0.2 ? "drift" : "ok";
      const figures = {
        rows,
        // no rows, no PSI: the stand-in says NaN, as a careless module might
        features: FEATURES.map((feature, i) => ({
          feature,
          psi: rows === 0 ? Number.NaN : 0.1 * (i + 1),
          ks: rows === 0 ? Number.NaN : 0.05 * (i + 1),
          traffic_shares: [0.3, 0.4, 0.3],
          verdict,
        })),
        not_iris_share: rows === 0 ? 0 : notIris / rows,
        class_mix: {},
        verdict,
      };
      return {
        model_version: modelVersion,
        since: since.toISOString(),
        until: until.toISOString(),
        thresholds: {
          psi: { warn: 0.1, drift: 0.25 },
          ks: { warn: 0.1, drift: 0.2 },
          not_iris_share: { warn: 0.05, drift: 0.2 },
          min_rows: 30,
        },
        training: profile,
        overall: figures,
        by_model_version: { [modelVersion]: figures },
        by_day: {},
        verdict,
      } satisfies DriftReport;
    },
    renderReport: async (report) => `<!doctype html><title>drift</title><p>${report.verdict}</p>`,
  };
  return modules;
}

describe("handlers/drift-monitor.ts createDriftMonitorHandler", function () {
  this.timeout(60000);
  let s3: FakeS3;
  let client: S3Client;
  let predictor: Predictor;

  before(async () => {
    s3 = await FakeS3.start();
    client = s3.client();
    const model = await trainedModel();
    // the drift branch writes training_profile when training; here it is added to the manifest
    predictor = {
      ...model.predictor,
      manifest: { ...model.predictor.manifest, training_profile: PROFILE },
    };
  });
  after(async () => {
    client.destroy();
    await s3.stop();
  });

  let bucketCount = 0;
  async function setup(rows: number) {
    const suffix = `-${++bucketCount}`;
    await s3.createBucket(CAPTURE + suffix);
    await s3.createBucket(REPORTS + suffix);
    if (rows > 0) {
      const lines = Array.from({ length: rows }, (_, i) => JSON.stringify(record(i))).join("\n");
      await s3.put(CAPTURE + suffix, "capture/lambda/2026/12/02/12/a.json", Buffer.from(lines));
    }
    return { capture: CAPTURE + suffix, reports: REPORTS + suffix };
  }

  function build(
    buckets: { capture: string; reports: string },
    modules: MonitorModules,
    extra: Partial<DriftMonitorOptions> = {},
  ) {
    return createDriftMonitorHandler({
      loadModel: async () => predictor,
      s3: client,
      capture: { bucket: buckets.capture, prefix: "capture/" },
      reports: { bucket: buckets.reports, prefix: "reports/" },
      windowHours: 24,
      logger: new Logger({ serviceName: "iris-mlops-drift" }),
      metrics: new Metrics({
        namespace: "IrisMlopsTest",
        serviceName: "iris-mlops-drift",
        defaultDimensions: { function_name: "monitor-fn" },
      }),
      modules: async () => modules,
      now: () => NOW,
      ...extra,
    });
  }

  const keys = async (bucket: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [])
      .map((o) => o.Key)
      .sort();
  const text = async (bucket: string, key: string) =>
    (
      await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body?.transformToString();

  it("reads the window's capture, publishes the figures and writes the dated and latest reports", async () => {
    const buckets = await setup(40);
    const calls: { since?: Date; until?: Date; location?: string } = {};
    const handler = build(buckets, fakeModules(calls));
    const [summary, out] = await captureOutput(() => handler({}, lambdaContext()));

    assert.equal(calls.location, `s3://${buckets.capture}/capture/`);
    assert.equal(calls.until?.toISOString(), NOW.toISOString());
    assert.equal(NOW.getTime() - (calls.since?.getTime() ?? 0), 24 * 3_600_000);

    // 10 of the 40 rows are no Iris: share 0.25, the stand-in's drift
    assert.equal(summary.verdict, "drift");
    assert.equal(summary.rows, 40);
    const base = "reports/2026/12/02/130405Z";
    assert.deepEqual(await keys(buckets.reports), [
      `${base}.html`,
      `${base}.json`,
      "reports/latest.html",
      "reports/latest.json",
    ]);
    const json = JSON.parse(
      (await text(buckets.reports, "reports/latest.json")) ?? "",
    ) as DriftReport;
    assert.equal(json.overall.rows, 40);
    assert.equal(json.model_version, predictor.modelVersion);
    assert.equal(
      await text(buckets.reports, `${base}.html`),
      await text(buckets.reports, "reports/latest.html"),
    );
    assert.match((await text(buckets.reports, "reports/latest.html")) ?? "", /<p>drift<\/p>/);

    const one = (name: string) => {
      const found = metricsNamed(out, name);
      assert.equal(found.length, 1, name);
      return found[0] as (typeof found)[number];
    };
    const verdict = one("drift_verdict");
    assert.equal(verdict.value, 2);
    assert.equal(verdict.namespace, "IrisMlopsTest");
    // under the function's dimensions (what the alarms read) and with ModelVersion too
    assert.deepEqual(verdict.dimensionSets, [
      { service: "iris-mlops-drift", function_name: "monitor-fn" },
      {
        service: "iris-mlops-drift",
        function_name: "monitor-fn",
        ModelVersion: predictor.modelVersion,
      },
    ]);
    assert.equal(one("rows").value, 40);
    assert.equal(one("rows").unit, "Count");
    assert.equal(one("not_iris_share").value, 0.25);
    FEATURES.forEach((f, i) => {
      assert.ok(Math.abs((one(`drift_psi_${f}`).value as number) - 0.1 * (i + 1)) < 1e-12, f);
      assert.ok(Math.abs((one(`drift_ks_${f}`).value as number) - 0.05 * (i + 1)) < 1e-12, f);
    });
    assert.equal(metricsNamed(out, "drift_run_errors").length, 0);
    assert.equal(logsSaying(out, "drift report written").length, 1);
  });

  it("with no capture in the window: rows 0, the drift module's verdict, no NaN published", async () => {
    const buckets = await setup(0);
    const handler = build(buckets, fakeModules({}));
    const [summary, out] = await captureOutput(() => handler({}, lambdaContext()));
    assert.equal(summary.rows, 0);
    assert.equal(summary.verdict, "warn");
    assert.equal(metricsNamed(out, "rows")[0]?.value, 0);
    assert.equal(metricsNamed(out, "drift_verdict")[0]?.value, 1);
    assert.equal(metricsNamed(out, "drift_psi_sepal_length").length, 0);
    assert.equal(out.metrics.filter((m) => typeof m.value !== "number").length, 0);
    assert.equal(logsSaying(out, "figure not published").length, 2 * FEATURES.length);
    assert.equal((await keys(buckets.reports)).length, 4);
  });

  it("a read that fails part-way fails the run loudly and writes no report at all", async () => {
    const buckets = await setup(10);
    const handler = build(buckets, fakeModules({}, "SlowDown: please reduce your request rate"));
    const [outcome, out] = await captureOutput(() =>
      handler({}, lambdaContext()).then(
        () => "resolved",
        (error: Error) => error.message,
      ),
    );
    assert.equal(outcome, "SlowDown: please reduce your request rate");
    assert.deepEqual(await keys(buckets.reports), []);
    assert.equal(metricsNamed(out, "drift_run_errors")[0]?.value, 1);
    assert.equal(metricsNamed(out, "drift_verdict").length, 0);
    const failed = logsSaying(out, "drift run failed");
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.level, "ERROR");
  });

  it("a model without a training profile fails the run with what to do, and writes nothing", async () => {
    const buckets = await setup(10);
    const { predictor } = await trainedModel();
    // a model trained before drift existed: training writes the profile now, so drop it
    const { training_profile: _, ...manifest } = predictor.manifest;
    const old = Object.assign(Object.create(predictor), { manifest }) as typeof predictor;
    const handler = build(buckets, fakeModules({}), { loadModel: async () => old });
    const [outcome, out] = await captureOutput(() =>
      handler({}, lambdaContext()).then(
        () => "resolved",
        (error: Error) => error.message,
      ),
    );
    assert.match(outcome, /no training_profile in its manifest.*retrain/);
    assert.deepEqual(await keys(buckets.reports), []);
    assert.equal(metricsNamed(out, "drift_run_errors")[0]?.value, 1);
  });

  it("a write S3 never answers ends within its timeout, and the run fails", async () => {
    const buckets = await setup(5);
    const stalled = { send: () => new Promise(() => undefined) } as unknown as S3Client;
    const modules = fakeModules({});
    // read from the real server, write to one that never answers
    const reading: MonitorModules = {
      ...modules,
      readCapture: (location, options) => modules.readCapture(location, { ...options, s3: client }),
    };
    const handler = build(buckets, reading, { s3: stalled, putTimeoutMs: 200 });
    const [outcome] = await captureOutput(() =>
      handler({}, lambdaContext()).then(
        () => "resolved",
        (error: Error) => error.name,
      ),
    );
    assert.equal(outcome, "TimeoutError");
  });

  it("names each run's objects by its UTC time under the prefix", () => {
    assert.equal(reportBase("r/", new Date("2027-01-05T03:02:01Z")), "r/2027/01/05/030201Z");
    assert.equal(reportBase("", new Date("2026-12-31T23:59:59.999Z")), "2026/12/31/235959Z");
  });
});

describe("handlers/drift-monitor-env.ts monitorSettingsFromEnv", () => {
  const env = {
    CAPTURE_BUCKET: "cap-bucket",
    CAPTURE_PREFIX: "capture/",
    REPORTS_BUCKET: "rep-bucket",
  };
  it("reads the locations, a 24-hour window by default and the thresholds", () => {
    const settings = monitorSettingsFromEnv(env);
    assert.deepEqual(settings.capture, { bucket: "cap-bucket", prefix: "capture/" });
    assert.deepEqual(settings.reports, { bucket: "rep-bucket", prefix: "" });
    assert.equal(settings.windowHours, 24);
    assert.equal(settings.thresholds, undefined);
    const t = {
      psi: { warn: 0.1, drift: 0.2 },
      ks: { warn: 0.1, drift: 0.2 },
      not_iris_share: { warn: 0.1, drift: 0.3 },
      min_rows: 5,
    };
    assert.deepEqual(
      monitorSettingsFromEnv({
        ...env,
        DRIFT_WINDOW_HOURS: "6",
        DRIFT_THRESHOLDS: JSON.stringify(t),
      }),
      { ...settings, windowHours: 6, thresholds: t },
    );
  });
  it("refuses wrong settings by name", () => {
    const refused = (extra: Record<string, string | undefined>, pattern: RegExp) =>
      assert.throws(() => monitorSettingsFromEnv({ ...env, ...extra }), pattern);
    refused({ CAPTURE_BUCKET: undefined }, /CAPTURE_BUCKET must be set/);
    refused({ REPORTS_BUCKET: "Not_A_Bucket" }, /not an S3 bucket name/);
    refused(
      { CAPTURE_PREFIX: "capture" },
      /CAPTURE_PREFIX must be empty or a key prefix ending in \//,
    );
    refused({ DRIFT_WINDOW_HOURS: "1.5" }, /DRIFT_WINDOW_HOURS must be a whole number/);
    refused({ DRIFT_WINDOW_HOURS: "0" }, /DRIFT_WINDOW_HOURS/);
    refused({ DRIFT_THRESHOLDS: "{" }, /DRIFT_THRESHOLDS must be JSON/);
    refused({ DRIFT_THRESHOLDS: '{"psi":{}}' }, /DRIFT_THRESHOLDS: psi.warn/);
    assert.equal(checkPrefix("a/b/", "X"), "a/b/");
    assert.throws(() => checkPrefix("/a/", "X"), /X must be/);
  });
});
