/**
 * The deployed module, handlers/lambda.ts, as Lambda runs it: configured by environment
 * variables, the model fetched from a real S3-compatible server (s3rver on 127.0.0.1) during
 * the init phase, then invoked with API Gateway events of both payload formats.
 */
import assert from "node:assert/strict";
import type { ApiHandler } from "../../handlers/api.js";
import {
  type Captured,
  captureOutput,
  logsSaying,
  metricsNamed,
} from "../helpers/capture-output.js";
import { apiEvent, FORMATS, lambdaContext, parseResult } from "../helpers/events.js";
import { SETOSA, type TrainedModel, trainedModel, VIRGINICA } from "../helpers/model.js";
import { FakeS3, setEnv } from "../helpers/s3.js";
import { apiScenarios } from "./api-scenarios.js";

const BUCKET = "iris-models";
const ORIGIN = "https://app.example";

describe("handlers/lambda.ts (the deployed module, model from s3rver)", () => {
  let s3: FakeS3;
  let model: TrainedModel;
  let key: string;
  let restoreEnv: () => void;
  let handler: ApiHandler;
  /** What the init phase and the first invocation wrote. */
  let coldOutput: Captured;
  let coldStatus: number;

  before(async () => {
    model = await trainedModel();
    s3 = await FakeS3.start();
    await s3.createBucket(BUCKET);
    key = `models/${model.modelVersion}/model.tar.gz`;
    await s3.put(BUCKET, key, model.tarball);
    restoreEnv = setEnv({
      ...s3.env(),
      MODEL_BUCKET: BUCKET,
      MODEL_KEY: key,
      MODEL_SHA256: model.sha256,
      CORS_ALLOW_ORIGINS: `${ORIGIN}, https://other.example`,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_LAMBDA_FUNCTION_NAME: "iris-mlops-api",
      POWERTOOLS_METRICS_NAMESPACE: "IrisMlopsTest",
      POWERTOOLS_DEV: undefined,
      POWERTOOLS_METRICS_DISABLED: undefined,
      POWERTOOLS_LOG_LEVEL: undefined,
      // capture's 10% default would make the logs differ from run to run (tests/handlers/capture.test.ts)
      CAPTURE_SAMPLE: "0",
      AWS_ENDPOINT_URL: undefined,
      AWS_PROFILE: undefined,
      AWS_SESSION_TOKEN: undefined,
    });
    assert.equal(s3.gets(BUCKET, key), 0);
    // the init phase (importing the module) and the first invocation, as one cold start
    [coldStatus, coldOutput] = await captureOutput(async () => {
      ({ handler } = await import("../../handlers/lambda.js"));
      const first = await handler(
        apiEvent("2.0", {
          method: "POST",
          path: "/predict",
          body: JSON.stringify(SETOSA),
          requestId: "cold-1",
        }),
        lambdaContext("lambda-cold-1"),
      );
      return first.statusCode;
    });
  });

  after(async () => {
    restoreEnv?.();
    await s3?.stop();
  });

  it("answers the first invocation after fetching the model once during init", () => {
    assert.equal(coldStatus, 200, coldOutput.text);
    assert.equal(s3.gets(BUCKET, key), 1);
    const loaded = logsSaying(coldOutput, "model loaded");
    assert.equal(loaded.length, 1, coldOutput.text);
    assert.equal(loaded[0]?.model_version, model.modelVersion);
    const verified = logsSaying(coldOutput, "model verified");
    assert.equal(verified[0]?.verified_by, "pinned sha256", coldOutput.text);
    const attempts = logsSaying(coldOutput, "s3 attempt");
    assert.deepEqual(
      attempts.map((a) => [a.dependency, a.attempt, a.attempts, a.outcome]),
      [["s3", 1, 3, "ok"]],
    );
  });

  it("emits the ColdStart metric and a cold_start log on the first invocation", () => {
    assert.deepEqual(coldOutput.other, [], "only JSON lines");
    const cold = metricsNamed(coldOutput, "ColdStart");
    assert.equal(cold.length, 1);
    assert.equal(cold[0]?.namespace, "IrisMlopsTest");
    const request = logsSaying(coldOutput, "request")[0];
    assert.equal(request?.cold_start, true);
    assert.equal(request?.correlation_id, "cold-1");
    assert.equal(request?.function_request_id, "lambda-cold-1");
    assert.equal(request?.function_name, "iris-mlops-api");
    assert.equal(metricsNamed(coldOutput, "predictions")[0]?.value, 1);
  });

  describe("warm invocations", () => {
    apiScenarios({
      handler: () => handler,
      model: () => model,
      allowedOrigin: ORIGIN,
      verifiedBy: "pinned sha256",
    });

    it("never fetch the model again, nor count another cold start", async () => {
      const before = s3.gets(BUCKET, key);
      const [, out] = await captureOutput(async () => {
        for (const format of FORMATS) {
          for (let i = 0; i < 10; i++) {
            const res = await handler(
              apiEvent(format, {
                method: "POST",
                path: "/predict",
                body: JSON.stringify({ instances: [SETOSA, VIRGINICA] }),
                requestId: `warm-${format}-${i}`,
              }),
              lambdaContext(),
            );
            assert.equal(res.statusCode, 200);
          }
        }
      });
      assert.equal(s3.gets(BUCKET, key), before);
      assert.equal(s3.gets(BUCKET, key), 1, "one GetObject for the whole environment");
      assert.deepEqual(metricsNamed(out, "ColdStart"), []);
      const requests = logsSaying(out, "request");
      assert.equal(requests.length, 20);
      for (const log of requests) {
        assert.equal(log.cold_start, false);
        assert.match(String(log.correlation_id), /^warm-/);
      }
      assert.equal(metricsNamed(out, "predictions").length, 20);
      assert.equal(metricsNamed(out, "latency").length, 20);
    });

    it("log errors with the request id and count them by error_code", async () => {
      const [result, out] = await captureOutput(() =>
        handler(
          apiEvent("1.0", {
            method: "POST",
            path: "/predict",
            body: '{"sepal_length": "long"}',
            requestId: "bad-1",
          }),
          lambdaContext(),
        ),
      );
      const res = parseResult(result);
      assert.equal(res.statusCode, 400);
      const errors = metricsNamed(out, "errors");
      assert.deepEqual(
        errors.map((m) => [m.dimensions.error_code, m.value]),
        [["bad_input", 1]],
      );
      const log = logsSaying(out, "request")[0];
      assert.equal(log?.correlation_id, "bad-1");
      assert.equal(log?.status, 400);
    });

    it("say which model answered: x-model-version, and ModelVersion on the metrics", async () => {
      for (const [body, status] of [
        [JSON.stringify(SETOSA), 200],
        ["{", 400],
      ] as const) {
        const [result, out] = await captureOutput(() =>
          handler(apiEvent("2.0", { method: "POST", path: "/predict", body }), lambdaContext()),
        );
        assert.equal(result.statusCode, status, result.body);
        assert.equal(parseResult(result).headers["x-model-version"], model.modelVersion);
        const [latency] = metricsNamed(out, "latency");
        assert.deepEqual(
          latency?.dimensionSets.map((set) => set.ModelVersion),
          [undefined, model.modelVersion],
        );
        assert.equal(latency?.dimensionSets[1]?.function_name, "iris-mlops-api");
      }
    });
  });
});
