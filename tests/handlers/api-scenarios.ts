/**
 * The API contract (POST /predict, GET /health) as scenarios, run against any Lambda handler in
 * both payload formats: the real module (lambda.test.ts) and the factory (api.test.ts).
 */
import assert from "node:assert/strict";
import type { ApiHandler } from "../../handlers/api.js";
import { API_MAX_BODY_BYTES, API_MAX_INSTANCES } from "../../serving/limits.js";
import { discardOutput } from "../helpers/capture-output.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import {
  apiEvent,
  DOC_HTTP_EVENT,
  DOC_REST_EVENT,
  FORMATS,
  lambdaContext,
  type ParsedResult,
  parseResult,
  type RequestSpec,
} from "../helpers/events.js";
import { rowOf, SETOSA, type TrainedModel, VIRGINICA } from "../helpers/model.js";

export interface ScenarioTarget {
  handler: () => ApiHandler;
  model: () => TrainedModel;
  /** An origin the handler is configured to allow. */
  allowedOrigin: string;
  /** What /health says vouched for the model, when the handler loads it with a trust policy. */
  verifiedBy?: string;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** A valid JSON body of exactly `bytes` bytes: the instances, then spaces. */
function paddedBody(bytes: number): string {
  const json = JSON.stringify({ instances: [rowOf(SETOSA)] });
  return json + " ".repeat(bytes - Buffer.byteLength(json));
}

function instances(count: number): string {
  return JSON.stringify({ instances: Array.from({ length: count }, () => rowOf(SETOSA)) });
}

export function apiScenarios(target: ScenarioTarget): void {
  const invoke = async (event: Parameters<ApiHandler>[0]): Promise<ParsedResult> =>
    parseResult(await discardOutput(() => target.handler()(event, lambdaContext())));
  const expected = (row: number[]) => target.model().predictor.predict(row);
  const version = () => target.model().modelVersion;

  for (const format of FORMATS) {
    describe(`payload format ${format}`, () => {
      const call = (spec: RequestSpec) => invoke(apiEvent(format, spec));
      const predict = (body: string | null, headers: RequestSpec["headers"] = JSON_HEADERS) =>
        call({ method: "POST", path: "/predict", headers, body });
      const expectError = (res: ParsedResult, status: number, code: string) => {
        assert.equal(res.statusCode, status, res.body);
        assert.equal(res.headers["content-type"], "application/json");
        return expectErrorBody(res.body, code);
      };

      it("answers a measurement object with one prediction and the model version", async () => {
        const res = await predict(JSON.stringify(SETOSA));
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.headers["content-type"], "application/json");
        assert.deepEqual(Object.keys(res.json as object).sort(), [
          "is_iris",
          "model_version",
          "probabilities",
          "species",
        ]);
        assert.deepEqual(res.json, { ...expected(rowOf(SETOSA)), model_version: version() });
        assert.equal((res.json as { species: string }).species, "setosa");
      });

      it("answers an array of 4 numbers as one flower", async () => {
        const res = await predict(JSON.stringify(rowOf(VIRGINICA)));
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json, { ...expected(rowOf(VIRGINICA)), model_version: version() });
      });

      it('answers {"instances": [...]} of objects and 4-number arrays with predictions in order', async () => {
        const body = { instances: [SETOSA, rowOf(VIRGINICA), rowOf(SETOSA), VIRGINICA] };
        const res = await predict(JSON.stringify(body));
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(Object.keys(res.json as object).sort(), ["model_version", "predictions"]);
        assert.deepEqual(res.json, {
          predictions: [SETOSA, VIRGINICA, SETOSA, VIRGINICA].map((m) => expected(rowOf(m))),
          model_version: version(),
        });
      });

      it("answers a bare array of rows as a batch", async () => {
        const res = await predict(JSON.stringify([rowOf(VIRGINICA), SETOSA]));
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json, {
          predictions: [expected(rowOf(VIRGINICA)), expected(rowOf(SETOSA))],
          model_version: version(),
        });
      });

      for (const contentType of [
        "application/x-www-form-urlencoded", // what curl -d sends
        "text/plain",
        "application/octet-stream",
        "application/json; charset=utf-8",
        undefined,
      ]) {
        it(`reads the body as JSON when the Content-Type is ${contentType ?? "absent"}`, async () => {
          const headers: Record<string, string> =
            contentType === undefined ? {} : { "Content-Type": contentType };
          const res = await predict(JSON.stringify(SETOSA), headers);
          assert.equal(res.statusCode, 200, res.body);
          assert.deepEqual(res.json, { ...expected(rowOf(SETOSA)), model_version: version() });
        });
      }

      it("decodes a base64-encoded body (isBase64Encoded: true)", async () => {
        const single = await call({
          method: "POST",
          path: "/predict",
          headers: JSON_HEADERS,
          body: JSON.stringify(VIRGINICA),
          base64: true,
        });
        assert.equal(single.statusCode, 200, single.body);
        assert.deepEqual(single.json, { ...expected(rowOf(VIRGINICA)), model_version: version() });
        const batch = await call({
          method: "POST",
          path: "/predict",
          body: JSON.stringify({ instances: [SETOSA, VIRGINICA] }),
          base64: true,
        });
        assert.equal(batch.statusCode, 200, batch.body);
        assert.equal((batch.json as { predictions: unknown[] }).predictions.length, 2);
      });

      it("answers the documented example event of this format", async () => {
        const event = format === "1.0" ? DOC_REST_EVENT : DOC_HTTP_EVENT;
        const row = format === "1.0" ? rowOf(SETOSA) : rowOf(VIRGINICA);
        const res = await invoke(structuredClone(event));
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json, { ...expected(row), model_version: version() });
      });

      it("looks header names up whatever their case", async () => {
        for (const [contentType, origin] of [
          ["CONTENT-TYPE", "ORIGIN"],
          ["Content-Type", "Origin"],
          ["cOnTeNt-TyPe", "oRiGiN"],
        ] as const) {
          const res = await predict(JSON.stringify(SETOSA), {
            [contentType]: "application/json",
            [origin]: target.allowedOrigin,
          });
          assert.equal(res.statusCode, 200, res.body);
          assert.equal(res.headers["access-control-allow-origin"], target.allowedOrigin);
        }
      });

      it("answers 400 bad_json to a missing, null or empty body", async () => {
        for (const body of [null, "", "   \n"]) {
          const error = expectError(await predict(body), 400, "bad_json");
          assert.match(error.message, /empty/);
        }
        const base64Empty = await call({
          method: "POST",
          path: "/predict",
          body: "",
          base64: true,
        });
        expectError(base64Empty, 400, "bad_json");
      });

      it("answers 400 bad_json to a body that is not JSON", async () => {
        for (const body of [
          '{"sepal_length": 5.1,',
          "sepal_length=5.1&sepal_width=3.5",
          "{'a':1}",
        ]) {
          const error = expectError(await predict(body), 400, "bad_json");
          assert.match(error.message, /not valid JSON/);
        }
      });

      const badMeasurements: [string, unknown, RegExp][] = [
        ["a string", { ...SETOSA, sepal_length: "5.1" }, /^sepal_length: .*string/],
        ["a negative", { ...SETOSA, petal_width: -0.2 }, /^petal_width: .*greater than 0/],
        ["a zero", { ...SETOSA, petal_length: 0 }, /^petal_length: .*greater than 0/],
        ["a null", { ...SETOSA, sepal_width: null }, /^sepal_width: /],
        [
          "a missing field",
          { sepal_length: 5.1, sepal_width: 3.5, petal_width: 0.2 },
          /^petal_length: is missing/,
        ],
        ["an unknown field", { ...SETOSA, colour: "blue" }, /unknown field "colour"/],
        ["3 numbers", [5.1, 3.5, 1.4], /exactly 4 numbers/],
        ["a bad array value", [5.1, 3.5, "x", 0.2], /^petal_length: /],
        [
          "a bad instance",
          { instances: [SETOSA, SETOSA, { ...SETOSA, petal_width: "wide" }] },
          /^instances\[2\]\.petal_width: /,
        ],
        ["no instances", { instances: [] }, /^instances: no rows/],
        ["instances not a list", { instances: 4 }, /^instances: expected an array/],
        ["a field beside instances", { instances: [SETOSA], model: "x" }, /unknown field "model"/],
        ["a number", 42, /expected an object/],
        ["an empty list", [], /no rows/],
      ];
      for (const [what, body, message] of badMeasurements) {
        it(`answers 400 bad_input naming the problem for ${what}`, async () => {
          const error = expectError(await predict(JSON.stringify(body)), 400, "bad_input");
          assert.match(error.message, message);
        });
      }

      it("accepts a body of exactly the limit and answers 413 one byte above it", async () => {
        const atLimit = await predict(paddedBody(API_MAX_BODY_BYTES));
        assert.equal(atLimit.statusCode, 200, atLimit.body.slice(0, 200));
        const over = await predict(paddedBody(API_MAX_BODY_BYTES + 1));
        const error = expectError(over, 413, "payload_too_large");
        assert.match(error.message, new RegExp(String(API_MAX_BODY_BYTES)));
      });

      it("applies the body limit to the decoded bytes of a base64 body", async () => {
        const res = await call({
          method: "POST",
          path: "/predict",
          body: paddedBody(API_MAX_BODY_BYTES),
          base64: true,
        });
        assert.equal(res.statusCode, 200, res.body.slice(0, 200));
      });

      it("accepts exactly the instance limit and answers 413 above it", async () => {
        const atLimit = await predict(instances(API_MAX_INSTANCES));
        assert.equal(atLimit.statusCode, 200, atLimit.body.slice(0, 200));
        assert.equal(
          (atLimit.json as { predictions: unknown[] }).predictions.length,
          API_MAX_INSTANCES,
        );
        const over = await predict(instances(API_MAX_INSTANCES + 1));
        const error = expectError(over, 413, "payload_too_large");
        assert.match(
          error.message,
          new RegExp(`"instances" holds ${(API_MAX_INSTANCES + 1).toLocaleString("en")} rows`),
        );
        const bare = JSON.stringify(Array.from({ length: API_MAX_INSTANCES + 1 }, () => SETOSA));
        expectError(await predict(bare), 413, "payload_too_large");
      });

      it("answers GET /health with the model version", async () => {
        for (const path of ["/health", "/health/"]) {
          const res = await call({ method: "GET", path, body: null });
          assert.equal(res.statusCode, 200, res.body);
          assert.deepEqual(res.json, {
            status: "ok",
            model_version: version(),
            ...(target.verifiedBy ? { verified_by: target.verifiedBy } : {}),
          });
        }
      });

      it("accepts a trailing slash and a lower-case method on /predict", async () => {
        const res = await call({ method: "post", path: "/predict/", body: JSON.stringify(SETOSA) });
        assert.equal(res.statusCode, 200, res.body);
      });

      for (const [method, path] of [
        ["GET", "/index.html"],
        ["POST", "/predictions"],
        ["POST", "/predict/extra"],
        ["GET", "/ping"],
        ["POST", "/invocations"],
        ["GET", "/PREDICT"],
      ] as const) {
        it(`answers 404 not_found to ${method} ${path}`, async () => {
          const res = await call({ method, path, body: JSON.stringify(SETOSA) });
          const error = expectError(res, 404, "not_found");
          assert.match(error.message, new RegExp(`${method} ${path.replace(/\//g, "\\/")}`));
        });
      }

      for (const [method, path, allow] of [
        ["GET", "/predict", "POST"],
        ["PUT", "/predict", "POST"],
        ["DELETE", "/predict", "POST"],
        ["POST", "/health", "GET"],
        ["PATCH", "/health", "GET"],
      ] as const) {
        it(`answers 405 to ${method} ${path} with Allow: ${allow}`, async () => {
          const res = await call({ method, path, body: null });
          const error = expectError(res, 405, "method_not_allowed");
          assert.equal(res.headers.allow, allow);
          assert.match(error.message, new RegExp(`use ${allow}`));
        });
      }

      it("echoes an allowed Origin, with Vary: Origin", async () => {
        const res = await predict(JSON.stringify(SETOSA), {
          "content-type": "application/json",
          origin: target.allowedOrigin,
        });
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers["access-control-allow-origin"], target.allowedOrigin);
        assert.match(res.headers.vary ?? "", /origin/i);
      });

      it("gives no Access-Control-Allow-Origin to another origin", async () => {
        const res = await predict(JSON.stringify(SETOSA), { origin: "https://evil.example" });
        assert.equal(res.statusCode, 200);
        assert.equal(res.headers["access-control-allow-origin"], undefined);
      });

      it("puts the CORS headers on error answers too", async () => {
        const headers = { origin: target.allowedOrigin };
        for (const res of [
          await predict("nope", headers),
          await call({ method: "GET", path: "/nowhere", headers }),
          await call({ method: "GET", path: "/predict", headers }),
        ]) {
          assert.ok(res.statusCode >= 400);
          assert.equal(res.headers["access-control-allow-origin"], target.allowedOrigin);
        }
      });

      it("answers an OPTIONS preflight with 204 and the allowed methods and headers", async () => {
        for (const path of ["/predict", "/health"]) {
          const res = await call({
            method: "OPTIONS",
            path,
            headers: {
              Origin: target.allowedOrigin,
              "Access-Control-Request-Method": "POST",
              "Access-Control-Request-Headers": "content-type",
            },
          });
          assert.equal(res.statusCode, 204);
          assert.equal(res.body, "");
          assert.equal(res.headers["access-control-allow-origin"], target.allowedOrigin);
          assert.match(res.headers["access-control-allow-methods"] ?? "", /POST/);
          assert.match(res.headers["access-control-allow-headers"] ?? "", /content-type/i);
        }
      });

      it("answers with a string body and no base64", async () => {
        const res = await discardOutput(() =>
          target.handler()(apiEvent(format, { method: "GET", path: "/health" }), lambdaContext()),
        );
        assert.equal(typeof res.body, "string");
        assert.equal(res.isBase64Encoded, false);
        for (const value of Object.values(res.headers ?? {})) assert.equal(typeof value, "string");
      });

      if (format === "2.0") {
        it("strips a named stage from rawPath", async () => {
          const res = await call({
            method: "POST",
            path: "/predict",
            stage: "prod",
            body: JSON.stringify(SETOSA),
          });
          assert.equal(res.statusCode, 200, res.body);
        });
      }
    });
  }
}
