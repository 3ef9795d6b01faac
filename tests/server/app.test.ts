/**
 * The HTTP server, server/app.ts, through inject (light-my-request, into the app's listener):
 * the API routes (/predict, /health) and SageMaker's (/ping, /invocations,
 * /execution-parameters), every content type and Accept, limits, 404/405/406/413/415, and the
 * one error shape.
 */
import assert from "node:assert/strict";
import {
  type InjectOptions,
  inject as injectInto,
  type Response as LightMyRequestResponse,
} from "light-my-request";
import { type App, buildApp } from "../../server/app.js";
import {
  API_MAX_BODY_BYTES,
  API_MAX_INSTANCES,
  INVOCATIONS_MAX_BODY_BYTES,
  INVOCATIONS_MAX_PAYLOAD_MB,
} from "../../serving/limits.js";
import { expectErrorBody } from "../helpers/error-shape.js";
import { rowOf, SETOSA, type TrainedModel, trainedModel, VIRGINICA } from "../helpers/model.js";

const VERSICOLOR = { sepal_length: 6.0, sepal_width: 2.7, petal_length: 4.2, petal_width: 1.3 };
const FLOWERS = [SETOSA, VIRGINICA, VERSICOLOR, SETOSA];
const CSV_ROWS = FLOWERS.map((m) => rowOf(m).join(","));

describe("server/app.ts buildApp (inject)", () => {
  let model: TrainedModel;
  let app: App;
  const expected = (row: number[]) => model.predictor.predict(row);

  before(async () => {
    model = await trainedModel();
    app = buildApp({ predictor: model.predictor });
  });
  after(() => app.close());

  const inject = (options: InjectOptions) => injectInto(app.handle, options);
  const invocations = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    inject({ method: "POST", url: "/invocations", payload, headers });
  const expectError = (res: LightMyRequestResponse, status: number, code: string) => {
    assert.equal(res.statusCode, status, res.body.slice(0, 300));
    assert.match(String(res.headers["content-type"]), /^application\/json/);
    return expectErrorBody(res.body, code);
  };
  const lines = (body: string) => {
    assert.ok(body.endsWith("\n"), "line output ends with a newline");
    return body.slice(0, -1).split("\n");
  };

  describe("GET /health and GET /ping", () => {
    it("/health answers the status and model version", async () => {
      const res = await inject({ method: "GET", url: "/health" });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), { status: "ok", model_version: model.modelVersion });
    });

    it("/ping answers 200 with an empty body", async () => {
      const res = await inject({ method: "GET", url: "/ping" });
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, "");
      assert.equal(res.rawPayload.length, 0);
    });
  });

  describe("POST /predict (the API's contract, as the Lambda answers it)", () => {
    const predict = (payload: string, headers: Record<string, string> = {}) =>
      inject({ method: "POST", url: "/predict", payload, headers });

    it("answers a measurement object with one prediction and the model version", async () => {
      const res = await predict(JSON.stringify(SETOSA), { "content-type": "application/json" });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers["content-type"]), /^application\/json/);
      assert.deepEqual(res.json(), {
        ...expected(rowOf(SETOSA)),
        model_version: model.modelVersion,
      });
    });

    it('answers {"instances": [...]} of objects and arrays with predictions in order', async () => {
      const res = await predict(JSON.stringify({ instances: [SETOSA, rowOf(VIRGINICA)] }));
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        predictions: [expected(rowOf(SETOSA)), expected(rowOf(VIRGINICA))],
        model_version: model.modelVersion,
      });
    });

    for (const contentType of [
      "application/x-www-form-urlencoded",
      "text/plain",
      "application/octet-stream",
      "text/csv",
    ]) {
      it(`reads the body as JSON when labelled ${contentType}`, async () => {
        const res = await predict(JSON.stringify(VIRGINICA), { "content-type": contentType });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json(), {
          ...expected(rowOf(VIRGINICA)),
          model_version: model.modelVersion,
        });
      });
    }

    it("answers 400 bad_json to an empty or broken body", async () => {
      expectError(await predict(""), 400, "bad_json");
      expectError(await predict("{"), 400, "bad_json");
    });

    it("answers 400 bad_input naming the field", async () => {
      const error = expectError(
        await predict(JSON.stringify({ instances: [SETOSA, { ...SETOSA, sepal_width: -3 }] })),
        400,
        "bad_input",
      );
      assert.match(error.message, /^instances\[1\]\.sepal_width: /);
    });

    it("answers 413 above the API's body limit and instance limit", async () => {
      const json = JSON.stringify({ instances: [rowOf(SETOSA)] });
      const atLimit = json + " ".repeat(API_MAX_BODY_BYTES - json.length);
      assert.equal((await predict(atLimit)).statusCode, 200);
      expectError(await predict(`${atLimit} `), 413, "payload_too_large");
      const many = JSON.stringify({
        instances: Array.from({ length: API_MAX_INSTANCES + 1 }, () => rowOf(SETOSA)),
      });
      expectError(await predict(many), 413, "payload_too_large");
    });
  });

  describe("POST /invocations: what comes in", () => {
    it('reads application/json {"instances": [...]} of objects and arrays', async () => {
      const res = await invocations(JSON.stringify({ instances: [SETOSA, rowOf(VIRGINICA)] }), {
        "content-type": "application/json",
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        predictions: [expected(rowOf(SETOSA)), expected(rowOf(VIRGINICA))],
        model_version: model.modelVersion,
      });
    });

    it("reads application/json holding a single object as one row", async () => {
      const res = await invocations(JSON.stringify(VERSICOLOR), {
        "content-type": "application/json",
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        predictions: [expected(rowOf(VERSICOLOR))],
        model_version: model.modelVersion,
      });
    });

    it("reads application/json holding a bare list of 4-number lists", async () => {
      const rows = FLOWERS.map(rowOf);
      const res = await invocations(JSON.stringify(rows), { "content-type": "application/json" });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json(), {
        predictions: rows.map(expected),
        model_version: model.modelVersion,
      });
    });

    it("reads JSON when there is no Content-Type", async () => {
      const res = await invocations(Buffer.from(JSON.stringify([rowOf(SETOSA)])));
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().predictions.length, 1);
    });

    for (const [what, body] of [
      ["without a trailing newline", CSV_ROWS.join("\n")],
      ["with a trailing newline", `${CSV_ROWS.join("\n")}\n`],
      ["with CRLF line ends", `${CSV_ROWS.join("\r\n")}\r\n`],
      ["with spaces around values", CSV_ROWS.map((l) => l.replace(/,/g, " , ")).join("\n")],
    ]) {
      it(`reads text/csv ${what}: one species per line out, in order`, async () => {
        const res = await invocations(body as string, {
          "content-type": "text/csv",
          accept: "text/csv",
        });
        assert.equal(res.statusCode, 200, res.body);
        assert.match(String(res.headers["content-type"]), /^text\/csv/);
        assert.deepEqual(
          lines(res.body),
          FLOWERS.map((m) => expected(rowOf(m)).species),
        );
      });
    }

    it("reads text/csv with a charset parameter", async () => {
      const res = await invocations(CSV_ROWS.join("\n"), {
        "content-type": "text/csv; charset=utf-8",
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().predictions.length, FLOWERS.length);
    });

    for (const type of ["application/jsonlines", "application/jsonl", "application/x-jsonlines"]) {
      it(`reads ${type}: objects and arrays, one per line`, async () => {
        const body = [
          JSON.stringify(SETOSA),
          JSON.stringify(rowOf(VIRGINICA)),
          JSON.stringify(VERSICOLOR),
        ].join("\n");
        const res = await invocations(`${body}\n`, {
          "content-type": type,
          accept: "application/jsonlines",
        });
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(
          lines(res.body).map((line) => JSON.parse(line)),
          [SETOSA, VIRGINICA, VERSICOLOR].map((m) => expected(rowOf(m))),
        );
      });
    }

    for (const type of [
      "text/plain",
      "application/xml",
      "application/x-www-form-urlencoded",
      "image/png",
    ]) {
      it(`answers 415 unsupported_media_type to Content-Type ${type}`, async () => {
        const error = expectError(
          await invocations(CSV_ROWS.join("\n"), { "content-type": type }),
          415,
          "unsupported_media_type",
        );
        assert.match(error.message, /text\/csv/);
      });
    }

    it("answers 415 unsupported_media_type to a Content-Type that is not a media type", async () => {
      for (const type of ["foo bar", "", ";"]) {
        const error = expectError(
          await invocations(CSV_ROWS.join("\n"), { "content-type": type }),
          415,
          "unsupported_media_type",
        );
        assert.match(error.message, /Content-Type/);
      }
    });

    const badLines: [string, string, string, RegExp][] = [
      ["a non-number", "text/csv", "5.1,3.5,1.4,0.2\n5.1,3.5,abc,0.2", /^line 2, petal_length: /],
      ["a missing column", "text/csv", "5.1,3.5,1.4", /^line 1: .*exactly 4 values/],
      [
        // a header in the default order answers no line (tests/server/batch-transform.test.ts)
        "a header in another column order",
        "text/csv",
        "petal_width,sepal_length,sepal_width,petal_length\n0.2,5.1,3.5,1.4",
        /^line 1: a header must name the columns in the order sepal_length/,
      ],
      [
        "an empty line in the middle",
        "text/csv",
        "5.1,3.5,1.4,0.2\n\n5.1,3.5,1.4,0.2",
        /^line 2: is empty/,
      ],
      ["a negative", "text/csv", "5.1,3.5,1.4,-0.2", /^line 1, petal_width: .*greater than 0/],
      ["an empty body", "text/csv", "", /no rows/],
      [
        "broken JSON on a line",
        "application/jsonlines",
        '{"sepal_length":5.1}\n{',
        /^line 1, petal_length|^line 1, sepal_width/,
      ],
      [
        "a bad JSON line",
        "application/jsonlines",
        `${JSON.stringify(SETOSA)}\n{`,
        /^line 2: not valid JSON/,
      ],
      [
        "an unknown field",
        "application/jsonlines",
        JSON.stringify({ ...SETOSA, colour: 1 }),
        /^line 1: unknown field "colour"/,
      ],
      ["an empty instances", "application/json", '{"instances": []}', /^instances: no rows/],
    ];
    for (const [what, type, body, message] of badLines) {
      it(`answers 400 bad_input to ${type} with ${what}, naming where`, async () => {
        const error = expectError(
          await invocations(body, { "content-type": type }),
          400,
          "bad_input",
        );
        assert.match(error.message, message);
      });
    }

    it("answers 400 bad_json to broken JSON", async () => {
      expectError(await invocations("{", { "content-type": "application/json" }), 400, "bad_json");
      expectError(await invocations("", { "content-type": "application/json" }), 400, "bad_json");
    });
  });

  describe("POST /invocations: what goes out", () => {
    const csv = (accept?: string) =>
      invocations(CSV_ROWS.join("\n"), {
        "content-type": "text/csv",
        ...(accept === undefined ? {} : { accept }),
      });
    const expectJson = (res: LightMyRequestResponse) => {
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers["content-type"]), /^application\/json/);
      assert.deepEqual(res.json(), {
        predictions: FLOWERS.map((m) => expected(rowOf(m))),
        model_version: model.modelVersion,
      });
    };
    const expectCsv = (res: LightMyRequestResponse) => {
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers["content-type"]), /^text\/csv/);
      assert.deepEqual(
        lines(res.body),
        FLOWERS.map((m) => expected(rowOf(m)).species),
      );
    };
    const expectJsonLines = (res: LightMyRequestResponse) => {
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers["content-type"]), /^application\/jsonlines/);
      assert.deepEqual(
        lines(res.body).map((line) => JSON.parse(line)),
        FLOWERS.map((m) => expected(rowOf(m))),
      );
    };

    it("answers JSON with no Accept, an empty one, */* or application/json", async () => {
      for (const accept of [undefined, "", "*/*", "application/json", "application/*"]) {
        expectJson(await csv(accept));
      }
    });

    it("answers text/csv, one species per line, to Accept: text/csv or text/*", async () => {
      expectCsv(await csv("text/csv"));
      expectCsv(await csv("text/*"));
    });

    it("answers JSON lines, one prediction per line, to Accept: application/jsonlines", async () => {
      expectJsonLines(await csv("application/jsonlines"));
    });

    it("honours q-values in Accept lists", async () => {
      expectJsonLines(await csv("text/csv;q=0.5, application/jsonlines;q=0.9"));
      expectCsv(await csv("application/json;q=0.1, text/csv"));
      expectCsv(await csv("application/json;q=0, */*;q=0.5, text/csv;q=0.6"));
      expectJson(await csv("text/html, */*;q=0.1"));
    });

    for (const accept of [
      "text/html",
      "application/xml",
      "image/*",
      "text/csv;q=0",
      "application/json;q=0, text/csv;q=0, application/jsonlines;q=0",
    ]) {
      it(`answers 406 not_acceptable to Accept: ${accept}`, async () => {
        const error = expectError(await csv(accept), 406, "not_acceptable");
        assert.match(error.message, /application\/json/);
      });
    }
  });

  describe("limits", () => {
    it("accepts an /invocations body of exactly the limit and answers 413 above it", async () => {
      const json = JSON.stringify({ instances: [rowOf(SETOSA)] });
      const atLimit = json + " ".repeat(INVOCATIONS_MAX_BODY_BYTES - json.length);
      const ok = await invocations(atLimit, { "content-type": "application/json" });
      assert.equal(ok.statusCode, 200, ok.body.slice(0, 200));
      const over = await invocations(`${atLimit} `, { "content-type": "application/json" });
      const error = expectError(over, 413, "payload_too_large");
      assert.match(error.message, new RegExp(String(INVOCATIONS_MAX_BODY_BYTES)));
    });

    it("/execution-parameters describes batch transform's settings", async () => {
      const res = await inject({ method: "GET", url: "/execution-parameters" });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        MaxConcurrentTransforms: 1,
        BatchStrategy: "MULTI_RECORD",
        MaxPayloadInMB: INVOCATIONS_MAX_PAYLOAD_MB,
      });
      assert.ok(INVOCATIONS_MAX_PAYLOAD_MB * 1024 * 1024 <= INVOCATIONS_MAX_BODY_BYTES);
    });

    it("/execution-parameters reports the configured MaxConcurrentTransforms", async () => {
      const other = buildApp({ predictor: model.predictor, maxConcurrentTransforms: 4 });
      try {
        const res = await injectInto(other.handle, { method: "GET", url: "/execution-parameters" });
        assert.equal(res.json().MaxConcurrentTransforms, 4);
      } finally {
        await other.close();
      }
    });
  });

  describe("routes", () => {
    for (const [method, url] of [
      ["GET", "/nowhere"],
      ["POST", "/invocations/x"],
      ["GET", "/PING"],
    ] as const) {
      it(`answers 404 not_found to ${method} ${url}`, async () => {
        expectError(await inject({ method, url }), 404, "not_found");
      });
    }

    it("treats a trailing slash as the route itself, as the Lambda does", async () => {
      const res = await inject({ method: "POST", url: "/predict/", payload: "[5.1,3.5,1.4,0.2]" });
      assert.equal(res.statusCode, 200);
      assert.equal(res.json().species, "setosa");
      const wrongMethod = await inject({ method: "GET", url: "/predict/" });
      expectError(wrongMethod, 405, "method_not_allowed");
      assert.equal(wrongMethod.headers.allow, "POST");
    });

    it("reads JSON on /invocations as /predict does: nothing may stand beside instances", async () => {
      for (const url of ["/predict", "/invocations"]) {
        const res = await inject({
          method: "POST",
          url,
          headers: { "content-type": "application/json" },
          payload: '{"instances":[[5.1,3.5,1.4,0.2]],"extra":1}',
        });
        expectError(res, 400, "bad_input");
        assert.match(res.json().error.message, /unknown field "extra" beside "instances"/);
      }
    });

    const wrong: [InjectOptions["method"], string, string][] = [
      ["GET", "/predict", "POST"],
      ["PUT", "/predict", "POST"],
      ["POST", "/health", "GET"],
      ["DELETE", "/ping", "GET"],
      ["GET", "/invocations", "POST"],
      ["PATCH", "/invocations", "POST"],
      ["POST", "/execution-parameters", "GET"],
      ["OPTIONS", "/predict", "POST"],
    ];
    for (const [method, url, allow] of wrong) {
      it(`answers 405 to ${method} ${url} with Allow: ${allow}`, async () => {
        const res = await inject({ method, url });
        expectError(res, 405, "method_not_allowed");
        assert.equal(res.headers.allow, allow);
      });
    }

    it("answers 405 with Allow to a wrong method with a query string", async () => {
      const res = await inject({ method: "GET", url: "/predict?debug=1" });
      expectError(res, 405, "method_not_allowed");
      assert.equal(res.headers.allow, "POST");
    });

    it("answers a malformed URL with 400 in the error shape", async () => {
      for (const url of ["/%zz", "/predict%", "/%E0%A4%A"]) {
        expectError(await inject({ method: "GET", url }), 400, "bad_input");
      }
    });
  });
});
