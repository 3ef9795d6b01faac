/**
 * The Lambda handler factory, `createApiHandler`: the API contract in both payload formats, CORS
 * settings, one model load per execution environment, logs and EMF metrics, and no throwing.
 */
import assert from "node:assert/strict";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import type { Predictor } from "../../core/predictor.js";
import { type ApiHandler, createApiHandler } from "../../handlers/api.js";
import { type ApiEvent, MAX_EVENT_HEADER_BYTES } from "../../handlers/events.js";
import {
  type Captured,
  captureOutput,
  logsSaying,
  metricsNamed,
} from "../helpers/capture-output.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import {
  apiEvent,
  FORMATS,
  lambdaContext,
  type ParsedResult,
  parseResult,
  type RequestSpec,
} from "../helpers/events.js";
import { SETOSA, type TrainedModel, trainedModel, VIRGINICA } from "../helpers/model.js";
import { setEnv } from "../helpers/s3.js";
import { apiScenarios } from "./api-scenarios.js";

const ORIGIN = "https://app.example";
const NAMESPACE = "IrisMlopsTest";

interface Built {
  handler: ApiHandler;
  /** What creating the handler (the init phase) wrote. */
  init: Captured;
}

/** Create a handler as lambda.ts does, capturing what its init phase logs. */
async function build(
  loadModel: () => Promise<Predictor>,
  corsOrigins: readonly string[] = [],
): Promise<Built> {
  const [handler, init] = await captureOutput(async () => {
    const created = createApiHandler({
      loadModel,
      logger: new Logger({ serviceName: "iris-mlops" }),
      metrics: new Metrics({ namespace: NAMESPACE, serviceName: "iris-mlops" }),
      corsOrigins,
    });
    await new Promise((resolve) => setImmediate(resolve)); // let the init load settle
    return created;
  });
  return { handler, init };
}

/** A loader that counts its calls and fails while `available` is false. */
function loader(predictor: Predictor) {
  const state = {
    calls: 0,
    available: true,
    load: async (): Promise<Predictor> => {
      state.calls++;
      if (!state.available) throw new Error("NoSuchKey: The specified key does not exist.");
      return predictor;
    },
  };
  return state;
}

async function invoke(
  handler: ApiHandler,
  event: ApiEvent,
  awsRequestId?: string,
): Promise<[ParsedResult, Captured]> {
  const [result, out] = await captureOutput(() => handler(event, lambdaContext(awsRequestId)));
  return [parseResult(result), out];
}

const predictEvent = (
  format: (typeof FORMATS)[number],
  body: unknown,
  extra?: Partial<RequestSpec>,
) =>
  apiEvent(format, {
    method: "POST",
    path: "/predict",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    ...extra,
  });

describe("handlers/api.ts createApiHandler", () => {
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });

  describe("the API contract", () => {
    let handler: ApiHandler;
    before(async () => {
      handler = (await build(loader(model.predictor).load, [ORIGIN, "https://other.example"]))
        .handler;
    });
    apiScenarios({ handler: () => handler, model: () => model, allowedOrigin: ORIGIN });

    // Prometheus metrics are the server's and the container's (server/metrics.ts), never public
    for (const format of FORMATS)
      it(`answers GET /metrics with 404 (payload ${format})`, async () => {
        const [res] = await invoke(handler, apiEvent(format, { method: "GET", path: "/metrics" }));
        assert.equal(res.statusCode, 404);
        expectErrorBody(res.body, "not_found");
        assert.doesNotMatch(res.body, /iris_http_requests_total|process_cpu/);
      });
  });

  describe("CORS settings", () => {
    it("sends no CORS headers at all when no origin is configured", async () => {
      const { handler } = await build(loader(model.predictor).load);
      for (const format of FORMATS) {
        const [ok] = await invoke(
          handler,
          predictEvent(format, SETOSA, { headers: { origin: ORIGIN } }),
        );
        const [bad] = await invoke(
          handler,
          predictEvent(format, "x", { headers: { origin: ORIGIN } }),
        );
        for (const res of [ok, bad]) {
          const cors = Object.keys(res.headers).filter((h) => h.startsWith("access-control-"));
          assert.deepEqual(cors, []);
        }
      }
    });

    it("answers OPTIONS with 405 when no origin is configured (no preflight to answer)", async () => {
      const { handler } = await build(loader(model.predictor).load);
      const [res] = await invoke(
        handler,
        apiEvent("2.0", { method: "OPTIONS", path: "/predict", headers: { origin: ORIGIN } }),
      );
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers.allow, "POST");
      expectErrorBody(res.body, "method_not_allowed");
    });

    it("answers * to every origin when configured with *", async () => {
      const { handler } = await build(loader(model.predictor).load, ["*"]);
      for (const format of FORMATS) {
        const origins: Record<string, string>[] = [{ origin: "https://anyone.example" }, {}];
        for (const headers of origins) {
          const [res] = await invoke(handler, predictEvent(format, SETOSA, { headers }));
          assert.equal(res.headers["access-control-allow-origin"], "*");
        }
        const [preflight] = await invoke(
          handler,
          apiEvent(format, {
            method: "OPTIONS",
            path: "/predict",
            headers: { Origin: "https://x.example" },
          }),
        );
        assert.equal(preflight.statusCode, 204);
        assert.equal(preflight.headers["access-control-allow-origin"], "*");
      }
    });

    it("echoes each of several configured origins and no other", async () => {
      const origins = ["https://a.example", "https://b.example"];
      const { handler } = await build(loader(model.predictor).load, origins);
      for (const origin of origins) {
        const [res] = await invoke(
          handler,
          predictEvent("1.0", SETOSA, { headers: { Origin: origin } }),
        );
        assert.equal(res.headers["access-control-allow-origin"], origin);
      }
      const [other] = await invoke(
        handler,
        predictEvent("1.0", SETOSA, { headers: { Origin: "https://a.example.evil" } }),
      );
      assert.equal(other.headers["access-control-allow-origin"], undefined);
    });

    it("answers OPTIONS on an unknown path with 404, not a preflight", async () => {
      const { handler } = await build(loader(model.predictor).load, [ORIGIN]);
      const [res] = await invoke(
        handler,
        apiEvent("2.0", { method: "OPTIONS", path: "/admin", headers: { origin: ORIGIN } }),
      );
      expectErrorBody(res.body, "not_found");
      assert.equal(res.statusCode, 404);
    });
  });

  describe("the model, once per execution environment", () => {
    it("is loaded at creation (the init phase) and reused by every invocation", async () => {
      const source = loader(model.predictor);
      const { handler, init } = await build(source.load);
      assert.equal(source.calls, 1, "loaded during init");
      const loaded = logsSaying(init, "model loaded");
      assert.equal(loaded.length, 1);
      assert.equal(loaded[0]?.model_version, model.modelVersion);
      for (const format of FORMATS) {
        for (let i = 0; i < 5; i++) {
          const [res] = await invoke(
            handler,
            predictEvent(format, { instances: [SETOSA, VIRGINICA] }),
          );
          assert.equal(res.statusCode, 200);
          const [health] = await invoke(
            handler,
            apiEvent(format, { method: "GET", path: "/health" }),
          );
          assert.equal(health.statusCode, 200);
        }
      }
      assert.equal(source.calls, 1, "never loaded again");
    });

    it("is loaded once when the first invocations arrive while it is still loading", async () => {
      let release: (predictor: Predictor) => void = () => undefined;
      let calls = 0;
      const { handler } = await build(() => {
        calls++;
        return new Promise<Predictor>((resolve) => {
          release = resolve;
        });
      });
      const [answers] = await captureOutput(async () => {
        const pending = Promise.all(
          Array.from({ length: 5 }, (_, i) =>
            handler(predictEvent(i % 2 ? "1.0" : "2.0", SETOSA), lambdaContext()),
          ),
        );
        release(model.predictor);
        return pending;
      });
      for (const res of answers) assert.equal(res.statusCode, 200, res.body);
      assert.equal(calls, 1);
    });

    it("answers 503 model_unavailable while the model cannot be loaded, then recovers", async () => {
      const source = loader(model.predictor);
      source.available = false;
      const { handler, init } = await build(source.load);
      const failure = logsSaying(init, "model could not be loaded");
      assert.equal(failure.length, 1, init.text);
      assert.match(String(failure[0]?.error), /NoSuchKey/);
      assert.equal(failure[0]?.level, "ERROR");

      for (const format of FORMATS) {
        for (const event of [
          predictEvent(format, SETOSA),
          apiEvent(format, { method: "GET", path: "/health" }),
        ]) {
          const [res, out] = await invoke(handler, event);
          assert.equal(res.statusCode, 503);
          expectErrorBody(res.body, "model_unavailable");
          assert.equal(
            logsSaying(out, "model could not be loaded").length,
            1,
            "retried and logged",
          );
          const errors = metricsNamed(out, "errors");
          assert.deepEqual(
            errors.map((m) => m.dimensions.error_code),
            ["model_unavailable"],
          );
        }
      }
      const callsWhileDown = source.calls;
      assert.equal(callsWhileDown, 1 + 2 * FORMATS.length, "one retry per invocation");

      source.available = true;
      const [res, out] = await invoke(handler, predictEvent("2.0", VIRGINICA));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(logsSaying(out, "model loaded").length, 1);
      await invoke(handler, predictEvent("1.0", VIRGINICA));
      assert.equal(source.calls, callsWhileDown + 1, "cached once loaded");
    });

    it("answers 503 when the loader rejects with something that is not an Error", async () => {
      const { handler } = await build(() => Promise.reject("no model"));
      const [res] = await invoke(handler, predictEvent("1.0", SETOSA));
      assert.equal(res.statusCode, 503);
      expectErrorBody(res.body, "model_unavailable");
    });
  });

  describe("logs and metrics", () => {
    let restoreEnv: () => void;
    let handler: ApiHandler;
    let init: Captured;
    before(async () => {
      // Powertools reads these when the Logger and Metrics are created: cold starts counted
      restoreEnv = setEnv({
        AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
        AWS_LAMBDA_FUNCTION_NAME: "iris-mlops-api",
        POWERTOOLS_DEV: undefined,
        POWERTOOLS_METRICS_DISABLED: undefined,
        POWERTOOLS_LOG_LEVEL: undefined,
      });
      ({ handler, init } = await build(loader(model.predictor).load, [ORIGIN]));
    });
    after(() => restoreEnv());

    it("writes only JSON lines, a cold start once, and a request log with the ids", async () => {
      assert.deepEqual(init.other, []);
      const outs: Captured[] = [];
      const ids = ["req-a", "req-b", "req-c"];
      for (const [i, requestId] of ids.entries()) {
        const [res, out] = await invoke(
          handler,
          predictEvent(
            i % 2 ? "1.0" : "2.0",
            { instances: [SETOSA, VIRGINICA, SETOSA] },
            { requestId },
          ),
          `lambda-${requestId}`,
        );
        assert.equal(res.statusCode, 200);
        assert.deepEqual(out.other, [], `non-JSON output: ${out.other.join("\n")}`);
        outs.push(out);
      }
      const coldStarts = outs.map((out) => metricsNamed(out, "ColdStart"));
      assert.deepEqual(
        coldStarts.map((m) => m.length),
        [1, 0, 0],
        "ColdStart in the first invocation only",
      );
      const cold = coldStarts[0]?.[0];
      assert.equal(cold?.value, 1);
      assert.equal(cold?.unit, "Count");
      assert.equal(cold?.namespace, NAMESPACE);
      assert.equal(cold?.dimensions.service, "iris-mlops");

      outs.forEach((out, i) => {
        const requests = logsSaying(out, "request");
        assert.equal(requests.length, 1, out.text);
        const log = requests[0] as Record<string, unknown>;
        assert.equal(log.level, "INFO");
        assert.equal(log.correlation_id, ids[i], "API Gateway's request id");
        assert.equal(log.function_request_id, `lambda-${ids[i]}`, "Lambda's request id");
        assert.equal(log.route, "POST /predict");
        assert.equal(log.status, 200);
        assert.equal(log.rows, 3);
        assert.equal(log.cold_start, i === 0);
        assert.equal(log.service, "iris-mlops");
        assert.equal(typeof log.latency_ms, "number");
      });
    });

    it("emits predictions and latency for every answered request", async () => {
      const [res, out] = await invoke(
        handler,
        predictEvent("2.0", { instances: [SETOSA, VIRGINICA, SETOSA] }),
      );
      assert.equal(res.statusCode, 200);
      const predictions = metricsNamed(out, "predictions");
      assert.equal(predictions.length, 1);
      assert.equal(predictions[0]?.value, 3);
      assert.equal(predictions[0]?.unit, "Count");
      assert.equal(predictions[0]?.dimensions.service, "iris-mlops");
      const latency = metricsNamed(out, "latency");
      assert.equal(latency.length, 1);
      assert.equal(latency[0]?.unit, "Milliseconds");
      assert.ok(typeof latency[0]?.value === "number" && latency[0].value >= 0);
      assert.deepEqual(metricsNamed(out, "errors"), []);
      const setosa = metricsNamed(out, "predicted_setosa");
      assert.equal(setosa[0]?.value, 2);
    });

    const failures: [string, ApiEvent, number, string][] = [
      ["bad JSON", predictEvent("1.0", undefined, { body: "{" }), 400, "bad_json"],
      ["bad input", predictEvent("2.0", { ...SETOSA, petal_width: -1 }), 400, "bad_input"],
      ["an unknown route", apiEvent("2.0", { method: "GET", path: "/x" }), 404, "not_found"],
      [
        "a wrong method",
        apiEvent("1.0", { method: "GET", path: "/predict" }),
        405,
        "method_not_allowed",
      ],
      [
        "too many instances",
        predictEvent("2.0", { instances: Array.from({ length: 10_001 }, () => SETOSA) }),
        413,
        "payload_too_large",
      ],
    ];
    for (const [what, event, status, code] of failures) {
      it(`counts ${what} as an error with error_code ${code}, and no predictions`, async () => {
        const [res, out] = await invoke(handler, event);
        assert.equal(res.statusCode, status);
        const errors = metricsNamed(out, "errors");
        assert.equal(errors.length, 1, out.text);
        assert.equal(errors[0]?.value, 1);
        assert.equal(errors[0]?.unit, "Count");
        assert.equal(errors[0]?.dimensions.error_code, code);
        assert.deepEqual(metricsNamed(out, "predictions"), []);
        assert.equal(metricsNamed(out, "latency").length, 1);
        const log = logsSaying(out, "request")[0];
        assert.equal(log?.status, status);
      });
    }
  });

  describe("never throws", () => {
    it("answers 500 internal, logged, when prediction itself fails", async () => {
      const broken: Predictor = {
        ...model.predictor,
        predict: () => {
          throw new TypeError("secret detail: votes buffer overflow");
        },
        predictBatch: () => {
          throw new TypeError("secret detail: votes buffer overflow");
        },
      };
      const { handler } = await build(async () => broken);
      const [res, out] = await invoke(
        handler,
        predictEvent("2.0", SETOSA, { requestId: "req-500" }),
      );
      assert.equal(res.statusCode, 500);
      const error = expectErrorBody(res.body, "internal");
      assert.doesNotMatch(error.message, /secret/);
      const logged = logsSaying(out, "request failed");
      assert.equal(logged.length, 1, out.text);
      assert.equal(logged[0]?.correlation_id, "req-500");
      assert.match(JSON.stringify(logged[0]), /secret detail/);
    });

    it("answers 400 with a message to malformed events: odd bodies, a null event, a string isBase64Encoded, no requestContext", async () => {
      const { handler } = await build(loader(model.predictor).load);
      const v1 = { httpMethod: "POST", path: "/predict", headers: {} } as Record<string, unknown>;
      const v2 = {
        version: "2.0",
        rawPath: "/predict",
        headers: {},
        requestContext: { http: { method: "POST" } },
      };
      const malformed: [unknown, RegExp][] = [
        [null, /null/],
        [{ ...v2, body: { sepal_length: 5.1 } }, /body/],
        [{ ...v1, body: 42 }, /body/],
        [{ ...v2, body: [5.1, 3.5, 1.4, 0.2] }, /body/],
        [{ ...v2, body: "e30=", isBase64Encoded: "false" }, /isBase64Encoded/],
        [{ version: "2.0", rawPath: "/predict", body: "{}" }, /requestContext/],
        [{ path: "/predict", body: "{}" }, /httpMethod/],
        // API Gateway always sends requestContext, in payload 1.0 too
        [{ ...v1, body: "{}" }, /requestContext: /],
        [{ ...v1, body: "{}", requestContext: null }, /requestContext: /],
      ];
      for (const [event, says] of malformed) {
        const [result] = await captureOutput(() => handler(event as ApiEvent, lambdaContext()));
        assert.equal(result.statusCode, 400, `${JSON.stringify(event)} → ${result.body}`);
        const { message } = expectErrorBody(result.body, "bad_input");
        assert.match(message, says);
      }
    });

    it("answers 431 to headers past the server's limit, which API Gateway never sends, in one header or many", async () => {
      const { handler } = await build(loader(model.predictor).load);
      for (const format of FORMATS) {
        const one = predictEvent(format, SETOSA, {
          headers: {
            "content-type": "application/json",
            "x-big": "a".repeat(MAX_EVENT_HEADER_BYTES),
          },
        });
        const many = predictEvent(format, SETOSA, {
          headers: Object.fromEntries(
            Array.from({ length: 300 }, (_, i) => [`x-header-${i}`, "v".repeat(60)]),
          ),
        });
        for (const event of [one, many]) {
          const [result] = await invoke(handler, event);
          assert.equal(result.statusCode, 431, result.body);
          assert.match(
            expectErrorBody(result.body, "headers_too_large").message,
            /^the headers are \d+ bytes; the limit is 16384 \(send fewer or shorter headers\)$/,
          );
        }
        const under = predictEvent(format, SETOSA, {
          headers: {
            "content-type": "application/json",
            "x-big": "a".repeat(MAX_EVENT_HEADER_BYTES - 100),
          },
        });
        assert.equal((await invoke(handler, under))[0].statusCode, 200);
      }
    });

    it("decodes a base64 body strictly: invalid UTF-8 is 400 bad_json, not replacement characters", async () => {
      const { handler } = await build(loader(model.predictor).load);
      const body = Buffer.concat([Buffer.from("{"), Buffer.alloc(1000, 0xff), Buffer.from("}")]);
      const event = {
        ...predictEvent("2.0", SETOSA),
        body: body.toString("base64"),
        isBase64Encoded: true,
      };
      const [result] = await captureOutput(() => handler(event as ApiEvent, lambdaContext()));
      assert.equal(result.statusCode, 400);
      assert.match(expectErrorBody(result.body, "bad_json").message, /UTF-8/);
    });

    it("reads base64 strictly, drops a byte-order mark as the server does, and joins headers that differ only in case", async () => {
      const { handler } = await build(loader(model.predictor).load);
      const json = JSON.stringify(SETOSA);
      const answer = async (event: unknown) => {
        const [result] = await captureOutput(() => handler(event as ApiEvent, lambdaContext()));
        return result;
      };
      // valid base64 with characters Buffer.from would skip: not what the client sent
      const sprinkled = Buffer.from(json)
        .toString("base64")
        .replace(/(.{4})/g, "$1!");
      for (const body of [sprinkled, "!!!!****"]) {
        const result = await answer({
          ...predictEvent("1.0", SETOSA),
          body,
          isBase64Encoded: true,
        });
        assert.equal(result.statusCode, 400, result.body);
        assert.match(expectErrorBody(result.body, "bad_input").message, /not valid base64/);
      }
      // one spelling per body: the adversary's `…0=` sent as `…1=` decodes to the same bytes
      const canonical = Buffer.from("[5.1,3.5,1.4,0.2]").toString("base64");
      assert.equal(canonical, "WzUuMSwzLjUsMS40LDAuMl0=");
      const padded = await answer({
        ...predictEvent("1.0", SETOSA),
        body: "WzUuMSwzLjUsMS40LDAuMl1=",
        isBase64Encoded: true,
      });
      assert.equal(padded.statusCode, 400, padded.body);
      assert.match(expectErrorBody(padded.body, "bad_input").message, /not canonical base64/);
      const bom = await answer({ ...predictEvent("1.0", SETOSA), body: `\ufeff${json}` });
      assert.equal(bom.statusCode, 200, bom.body);
      // payload 1.0 keeps each spelling of a header; a second one must not hide the first
      const event = predictEvent("1.0", SETOSA) as { headers?: Record<string, string> };
      const hidden = await answer({
        ...event,
        headers: { ...event.headers, "Content-Encoding": "gzip", "content-encoding": "identity" },
      });
      assert.equal(hidden.statusCode, 415, hidden.body);
    });

    it("answers events that are not API Gateway events without throwing", async () => {
      const { handler } = await build(loader(model.predictor).load);
      const odd: unknown[] = [
        {},
        { httpMethod: "POST", path: "/predict", headers: null, body: null },
        { version: "2.0", rawPath: "/predict" },
        { httpMethod: "POST", path: "/predict", isBase64Encoded: true, body: "!!!not base64!!!" },
        null,
        undefined,
        "POST /predict",
      ];
      for (const event of odd) {
        const [result] = await captureOutput(() => handler(event as ApiEvent, lambdaContext()));
        assert.equal(typeof result.statusCode, "number");
        assert.equal(typeof result.body, "string");
        if (result.statusCode >= 400) expectErrorBody(result.body);
      }
    });
  });
});
