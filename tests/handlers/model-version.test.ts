/**
 * Which model answered, on the Lambda (handlers/api.ts): `x-model-version` on every answer given
 * once the model is loaded, readable by an allowed origin's page, and every EMF metric published
 * a second time with a ModelVersion dimension, beside the series the dashboard and alarms read.
 */
import assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Predictor } from "../../core/predictor.js";
import { type ApiHandler, createApiHandler } from "../../handlers/api.js";
import { type ApiEvent, MAX_EVENT_HEADER_BYTES } from "../../handlers/events.js";
import { type Captured, captureOutput, metricsNamed } from "../helpers/capture-output.js";
import {
  apiEvent,
  FORMATS,
  lambdaContext,
  type ParsedResult,
  type PayloadFormat,
  parseResult,
} from "../helpers/events.js";
import { SETOSA, type TrainedModel, trainedModel } from "../helpers/model.js";
import { setEnv } from "../helpers/s3.js";

const ORIGIN = "https://app.example";
const FUNCTION = "iris-mlops-api";

/** A handler as lambda.ts builds it, its init load settled. */
async function build(loadModel: () => Promise<Predictor>, corsOrigins: string[] = [ORIGIN]) {
  const [handler] = await captureOutput(async () => {
    const created = createApiHandler({
      loadModel,
      logger: new Logger({ serviceName: "iris-mlops" }),
      metrics: new Metrics({
        namespace: "IrisMlopsTest",
        serviceName: "iris-mlops",
        defaultDimensions: { function_name: FUNCTION },
      }),
      corsOrigins,
    });
    await new Promise((resolve) => setImmediate(resolve));
    return created;
  });
  return handler;
}

async function invoke(handler: ApiHandler, event: unknown): Promise<[ParsedResult, Captured]> {
  const [result, out] = await captureOutput(() => handler(event as ApiEvent, lambdaContext()));
  return [parseResult(result), out];
}

/** Events for every kind of answer the API gives with a model: what, the event, the status. */
function everyAnswer(format: PayloadFormat): [string, unknown, number][] {
  const predict = (body: string, headers: Record<string, string> = {}) =>
    apiEvent(format, {
      method: "POST",
      path: "/predict",
      headers: { "content-type": "application/json", origin: ORIGIN, ...headers },
      body,
    });
  return [
    ["a prediction", predict(JSON.stringify(SETOSA)), 200],
    ["GET /health", apiEvent(format, { method: "GET", path: "/health" }), 200],
    [
      "a preflight",
      apiEvent(format, { method: "OPTIONS", path: "/predict", headers: { origin: ORIGIN } }),
      204,
    ],
    ["bad JSON", predict("{"), 400],
    ["a negative measurement", predict(JSON.stringify({ ...SETOSA, petal_width: -1 })), 400],
    ["an event API Gateway never sends", { ...predict("{}"), body: 42 }, 400],
    ["an unknown route", apiEvent(format, { method: "GET", path: "/nowhere" }), 404],
    ["a wrong method", apiEvent(format, { method: "GET", path: "/predict" }), 405],
    [
      "too many instances",
      predict(JSON.stringify({ instances: Array.from({ length: 10_001 }, () => SETOSA) })),
      413,
    ],
    ["a gzip body", predict("{}", { "content-encoding": "gzip" }), 415],
    ["headers past the limit", predict("{}", { "x-big": "a".repeat(MAX_EVENT_HEADER_BYTES) }), 431],
  ];
}

describe("handlers/api.ts: which model answered", () => {
  let model: TrainedModel;
  let restoreEnv: () => void;
  before(async () => {
    model = await trainedModel();
    restoreEnv = setEnv({
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION,
      POWERTOOLS_DEV: undefined,
      POWERTOOLS_METRICS_DISABLED: undefined,
    });
  });
  after(() => restoreEnv());

  describe("x-model-version", () => {
    it("is on every answer once the model is loaded, 2xx and 4xx alike, in both payload formats", async () => {
      const handler = await build(async () => model.predictor);
      for (const format of FORMATS) {
        for (const [what, event, status] of everyAnswer(format)) {
          const [res] = await invoke(handler, event);
          assert.equal(res.statusCode, status, `${format} ${what}: ${res.body}`);
          assert.equal(res.headers["x-model-version"], model.modelVersion, `${format} ${what}`);
        }
      }
    });

    it("is on a 500 too: the model that was asked failed", async () => {
      const broken: Predictor = {
        ...model.predictor,
        predict: () => {
          throw new Error("boom");
        },
        predictBatch: () => {
          throw new Error("boom");
        },
      };
      const handler = await build(async () => broken);
      const [res] = await invoke(
        handler,
        apiEvent("2.0", { method: "POST", path: "/predict", body: JSON.stringify(SETOSA) }),
      );
      assert.equal(res.statusCode, 500, res.body);
      assert.equal(res.headers["x-model-version"], model.modelVersion);
    });

    it("is absent until a model is loaded (no model has answered), then present", async () => {
      let available = false;
      const handler = await build(async () => {
        if (!available) throw new Error("NoSuchKey");
        return model.predictor;
      });
      for (const event of [
        apiEvent("2.0", { method: "POST", path: "/predict", body: JSON.stringify(SETOSA) }),
        apiEvent("1.0", { method: "GET", path: "/nowhere" }),
        { version: "2.0", rawPath: "/predict" },
      ]) {
        const [res] = await invoke(handler, event);
        assert.ok(res.statusCode >= 400, res.body);
        assert.equal(res.headers["x-model-version"], undefined, res.body);
      }
      available = true;
      const [res] = await invoke(handler, apiEvent("1.0", { method: "GET", path: "/health" }));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers["x-model-version"], model.modelVersion);
    });

    it("is readable by an allowed origin's page (Access-Control-Expose-Headers), and only then", async () => {
      const cases: [string[], string | undefined, string | undefined][] = [
        [[ORIGIN], ORIGIN, "x-model-version"],
        [["*"], "https://anyone.example", "x-model-version"],
        [[ORIGIN], "https://evil.example", undefined],
        [[], ORIGIN, undefined],
      ];
      for (const [allowed, origin, exposed] of cases) {
        const handler = await build(async () => model.predictor, allowed);
        for (const event of [
          apiEvent("2.0", {
            method: "POST",
            path: "/predict",
            headers: origin ? { origin } : {},
            body: JSON.stringify(SETOSA),
          }),
          apiEvent("1.0", { method: "GET", path: "/x", headers: origin ? { Origin: origin } : {} }),
        ]) {
          const [res] = await invoke(handler, event);
          assert.equal(
            res.headers["access-control-expose-headers"],
            exposed,
            `${allowed.join(",") || "no CORS"} from ${origin}: ${res.statusCode}`,
          );
        }
      }
    });
  });

  describe("EMF metrics", () => {
    const base = { service: "iris-mlops", function_name: FUNCTION };

    it("are published under their dimensions as before and again with ModelVersion", async () => {
      const handler = await build(async () => model.predictor);
      const [ok, good] = await invoke(
        handler,
        apiEvent("2.0", {
          method: "POST",
          path: "/predict",
          body: JSON.stringify({ instances: [SETOSA, SETOSA] }),
        }),
      );
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(good.other, [], "no warnings from Powertools");
      const perVersion = { ...base, ModelVersion: model.modelVersion };
      for (const name of ["predictions", "latency", "predicted_setosa"]) {
        const [metric, ...more] = metricsNamed(good, name);
        assert.deepEqual(more, [], name);
        assert.deepEqual(metric?.dimensionSets, [base, perVersion], name);
      }
      assert.equal(metricsNamed(good, "predictions")[0]?.value, 2);

      const [bad, out] = await invoke(handler, apiEvent("1.0", { method: "GET", path: "/x" }));
      assert.equal(bad.statusCode, 404);
      assert.deepEqual(out.other, [], "no warnings from Powertools");
      // errors by code as before; per version, all codes together (what a canary's alarm reads)
      assert.deepEqual(metricsNamed(out, "errors")[0]?.dimensionSets, [
        { ...base, error_code: "not_found" },
        perVersion,
      ]);
      assert.deepEqual(metricsNamed(out, "latency")[0]?.dimensionSets, [base, perVersion]);
    });

    it("carry no ModelVersion before a model is loaded", async () => {
      const handler = await build(() => Promise.reject(new Error("NoSuchKey")));
      const [res, out] = await invoke(
        handler,
        apiEvent("2.0", { method: "POST", path: "/predict", body: JSON.stringify(SETOSA) }),
      );
      assert.equal(res.statusCode, 503);
      assert.deepEqual(metricsNamed(out, "errors")[0]?.dimensionSets, [
        { ...base, error_code: "model_unavailable" },
      ]);
      assert.deepEqual(metricsNamed(out, "latency")[0]?.dimensionSets, [base]);
    });
  });
});
