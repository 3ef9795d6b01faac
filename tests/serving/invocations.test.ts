/** serving/invocations.ts: content negotiation and the line-based forms of /invocations. */
import assert from "node:assert/strict";
import type { Prediction } from "../../core/predictor.js";
import { HttpError } from "../../serving/errors.js";
import {
  formatInvocation,
  parseInvocation,
  requestType,
  responseType,
} from "../../serving/invocations.js";

const httpError = (status: number, code: string) => (error: unknown) =>
  error instanceof HttpError && error.status === status && error.code === code;

describe("serving/invocations.ts", () => {
  describe("requestType (Content-Type → what to read)", () => {
    const cases: [string | undefined, string][] = [
      [undefined, "application/json"],
      ["", "application/json"],
      ["  ", "application/json"],
      ["application/json", "application/json"],
      ["Application/JSON; charset=utf-8", "application/json"],
      ["text/csv", "text/csv"],
      ["text/csv; charset=utf-8", "text/csv"],
      ["application/jsonlines", "application/jsonlines"],
      ["application/jsonl", "application/jsonlines"],
      ["application/x-jsonlines", "application/jsonlines"],
    ];
    for (const [header, type] of cases) {
      it(`reads ${JSON.stringify(header)} as ${type}`, () => {
        assert.equal(requestType(header), type);
      });
    }
    for (const header of ["text/plain", "application/xml", "foo bar", "text/csv/x"]) {
      it(`answers 415 to ${JSON.stringify(header)}`, () => {
        assert.throws(() => requestType(header), httpError(415, "unsupported_media_type"));
      });
    }
  });

  describe("responseType (Accept → what to write)", () => {
    const cases: [string | undefined, string][] = [
      [undefined, "application/json"],
      ["", "application/json"],
      ["*/*", "application/json"],
      ["application/json", "application/json"],
      ["text/csv", "text/csv"],
      ["text/*", "text/csv"],
      ["application/jsonlines", "application/jsonlines"],
      ["text/csv;q=0.2, application/jsonlines;q=0.8", "application/jsonlines"],
      ["application/json;q=0, */*", "text/csv"],
      ["text/html, */*;q=0.1", "application/json"],
    ];
    for (const [header, type] of cases) {
      it(`answers ${JSON.stringify(header)} in ${type}`, () => {
        assert.equal(responseType(header), type);
      });
    }
    for (const header of [
      "text/html",
      "image/png",
      "text/csv;q=0",
      "application/*;q=0, text/csv;q=0",
    ]) {
      it(`answers 406 to ${JSON.stringify(header)}`, () => {
        assert.throws(() => responseType(header), httpError(406, "not_acceptable"));
      });
    }
  });

  describe("parseInvocation", () => {
    it("reads one CSV row per line; one final newline is not a line", () => {
      const rows = [
        [5.1, 3.5, 1.4, 0.2],
        [6.3, 3.3, 6, 2.5],
      ];
      for (const body of [
        "5.1,3.5,1.4,0.2\n6.3,3.3,6,2.5",
        "5.1,3.5,1.4,0.2\n6.3,3.3,6,2.5\n",
        "5.1,3.5,1.4,0.2\r\n6.3,3.3,6,2.5\r\n",
      ]) {
        assert.deepEqual(parseInvocation("text/csv", body), rows);
      }
    });

    it("refuses a second final newline: it is an empty line", () => {
      assert.throws(() => parseInvocation("text/csv", "5.1,3.5,1.4,0.2\n\n"), /line 2: is empty/);
    });

    it("reads JSON lines of objects and arrays", () => {
      const body =
        '{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}\n[6.3,3.3,6,2.5]\n';
      assert.deepEqual(parseInvocation("application/jsonlines", body), [
        [5.1, 3.5, 1.4, 0.2],
        [6.3, 3.3, 6, 2.5],
      ]);
    });

    it("reads JSON: instances, a single object, a bare list of lists", () => {
      assert.deepEqual(parseInvocation("application/json", '{"instances":[[1,2,3,4]]}'), [
        [1, 2, 3, 4],
      ]);
      assert.deepEqual(
        parseInvocation(
          "application/json",
          '{"sepal_length":1,"sepal_width":2,"petal_length":3,"petal_width":4}',
        ),
        [[1, 2, 3, 4]],
      );
      assert.deepEqual(parseInvocation("application/json", "[[1,2,3,4],[4,3,2,1]]"), [
        [1, 2, 3, 4],
        [4, 3, 2, 1],
      ]);
    });

    it("refuses an empty body in every form", () => {
      assert.throws(() => parseInvocation("text/csv", ""), /no rows/);
      assert.throws(() => parseInvocation("application/jsonlines", "\n"), /line 1: is empty/);
      assert.throws(() => parseInvocation("application/json", ""), httpError(400, "bad_json"));
    });
  });

  describe("formatInvocation", () => {
    const predictions: Prediction[] = [
      { species: "setosa", probabilities: { setosa: 1, versicolor: 0 }, is_iris: true },
      { species: "versicolor", probabilities: { setosa: 0.25, versicolor: 0.75 }, is_iris: false },
    ];

    it("writes CSV as one species per line, each line ended", () => {
      assert.equal(formatInvocation("text/csv", predictions, "v1"), "setosa\nversicolor\n");
    });

    it("writes JSON lines as one prediction per line, each line ended", () => {
      const text = formatInvocation("application/jsonlines", predictions, "v1");
      assert.deepEqual(
        text
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line)),
        predictions,
      );
      assert.ok(text.endsWith("\n"));
    });

    it("writes JSON as predictions and the model version", () => {
      assert.deepEqual(JSON.parse(formatInvocation("application/json", predictions, "v1")), {
        predictions,
        model_version: "v1",
      });
    });
  });
});
