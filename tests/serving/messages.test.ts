/**
 * Messages that say what was received and what is accepted (issue 8, item 14): a compressed
 * body, a charset other than UTF-8 and a bare list over the limit, through the server and the
 * Lambda alike.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { inject } from "light-my-request";
import { createApiHandler } from "../../handlers/api.js";
import { buildApp } from "../../server/app.js";
import { charsetsOf, checkBodyEncoding } from "../../serving/body-encoding.js";
import { HttpError } from "../../serving/errors.js";
import { rowsFromJson } from "../../serving/predict-api.js";
import { captureOutput } from "../helpers/capture-output.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { apiEvent, lambdaContext, parseResult, type RequestSpec } from "../helpers/events.js";
import { SETOSA, type TrainedModel, trainedModel } from "../helpers/model.js";

const refusedWith = (action: () => unknown, status: number, pattern: RegExp) =>
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.status, status);
    assert.match(error.message, pattern);
    return true;
  });

describe("messages: the body's encoding", () => {
  it("reads the charset parameter whatever its case, quotes and spacing", () => {
    assert.deepEqual(charsetsOf("application/json; charset=UTF-16"), ["utf-16"]);
    assert.deepEqual(charsetsOf('text/csv;CHARSET="utf-8"'), ["utf-8"]);
    assert.deepEqual(charsetsOf("text/csv; q=1 ; charset = latin1"), ["latin1"]);
    assert.deepEqual(charsetsOf("application/json"), []);
    assert.deepEqual(charsetsOf("a/b; charset=utf-8; Charset=utf-16"), ["utf-8", "utf-16"]);
  });

  it("refuses a content coding and a charset other than UTF-8, naming them", () => {
    refusedWith(
      () => checkBodyEncoding({ "content-encoding": "gzip" }),
      415,
      /^Content-Encoding "gzip" is not supported; send the body uncompressed/,
    );
    refusedWith(
      () => checkBodyEncoding({ "content-type": "application/json; charset=utf-16" }),
      415,
      /^charset "utf-16" is not supported; send the body as UTF-8/,
    );
    for (const type of [
      "application/json; charset=utf-8; charset=utf-16",
      "application/json; charset=utf-16; charset=utf-8",
      'text/csv; CHARSET="utf-8"; charset=utf-8',
    ])
      refusedWith(
        () => checkBodyEncoding({ "content-type": type }),
        415,
        /^the Content-Type names a charset 2 times \(.*\); name one: charset=utf-8, or no charset$/,
      );
    for (const ok of [
      {},
      { "content-encoding": "identity" },
      { "content-encoding": "" },
      { "content-type": "application/json; charset=UTF-8" },
      { "content-type": "text/csv; charset=us-ascii" },
    ])
      checkBodyEncoding(ok);
  });

  it("a bare list over the limit says how it was read and what is accepted", () => {
    refusedWith(
      () => rowsFromJson(Array.from({ length: 10_001 }, () => 1)),
      413,
      /^the body is a bare list of 10,001 items \(not rows.*\), read as 10,001 instances; the limit is 10,000 instances per request\. One flower is an array of 4 numbers/,
    );
    refusedWith(
      () => rowsFromJson({ instances: Array.from({ length: 10_001 }, () => [1, 1, 1, 1]) }),
      413,
      /^"instances" holds 10,001 rows; the limit is 10,000 .*a batch is an array of such rows/,
    );
  });
});

describe("messages: through the server and the Lambda", () => {
  let model: TrainedModel;
  before(async () => {
    model = await trainedModel();
  });
  const body = JSON.stringify(SETOSA);
  // first-wins read this as UTF-8, a last-wins reader as UTF-16: neither guess is safe
  const DOUBLE_CHARSET = "application/json; charset=utf-8; charset=utf-16";

  it("the server answers 415 for a gzip body, a UTF-16 charset and a charset named twice, on /predict and /invocations", async () => {
    const app = buildApp({ predictor: model.predictor });
    for (const url of ["/predict", "/invocations"]) {
      const gz = await inject(app.handle, {
        method: "POST",
        url,
        payload: gzipSync(body),
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
      });
      assert.equal(gz.statusCode, 415, gz.body);
      assert.match(
        expectErrorBody(gz.body, "unsupported_media_type").message,
        /Content-Encoding "gzip"/,
      );
      const utf16 = await inject(app.handle, {
        method: "POST",
        url,
        payload: Buffer.from(body, "utf16le"),
        headers: { "content-type": "application/json; charset=utf-16" },
      });
      assert.equal(utf16.statusCode, 415, utf16.body);
      assert.match(expectErrorBody(utf16.body).message, /charset "utf-16"/);
      const twice = await inject(app.handle, {
        method: "POST",
        url,
        payload: body,
        headers: { "content-type": DOUBLE_CHARSET },
      });
      assert.equal(twice.statusCode, 415, twice.body);
      assert.match(
        expectErrorBody(twice.body, "unsupported_media_type").message,
        /names a charset 2 times/,
      );
    }
  });

  it("an undeclared gzip body is 400 saying it looks compressed", async () => {
    const app = buildApp({ predictor: model.predictor });
    const res = await inject(app.handle, {
      method: "POST",
      url: "/predict",
      payload: gzipSync(body),
    });
    assert.equal(res.statusCode, 400);
    assert.match(
      expectErrorBody(res.body, "bad_json").message,
      /looks gzip-compressed: send it uncompressed/,
    );
  });

  it("the Lambda answers 415 for a gzip body (base64 from API Gateway), a UTF-16 charset and a charset named twice", async () => {
    const [handler] = await captureOutput(async () => {
      const created = createApiHandler({
        loadModel: async () => model.predictor,
        logger: new Logger({ serviceName: "iris-mlops" }),
        metrics: new Metrics({ namespace: "IrisMlopsTest", serviceName: "iris-mlops" }),
      });
      await new Promise((resolve) => setImmediate(resolve));
      return created;
    });
    for (const format of ["1.0", "2.0"] as const) {
      const cases: { spec: Partial<RequestSpec>; message: RegExp }[] = [
        {
          spec: { bodyBytes: gzipSync(body), headers: { "Content-Encoding": "gzip" } },
          message: /Content-Encoding "gzip"/,
        },
        {
          spec: { body, headers: { "Content-Type": "application/json; charset=utf-16" } },
          message: /charset "utf-16"/,
        },
        {
          spec: { body, headers: { "Content-Type": DOUBLE_CHARSET } },
          message: /names a charset 2 times/,
        },
      ];
      for (const { spec, message } of cases) {
        const event = apiEvent(format, { method: "POST", path: "/predict", ...spec });
        const [result] = await captureOutput(() => handler(event, lambdaContext()));
        const parsed = parseResult(result);
        assert.equal(parsed.statusCode, 415, parsed.body);
        assert.match(expectErrorBody(parsed.body, "unsupported_media_type").message, message);
      }
    }
  });
});
