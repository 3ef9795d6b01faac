/**
 * Batch transform's join: for any list of rows sent as CSV or JSON lines (either line end, with
 * or without a final newline), /invocations answers exactly one line per input line, in order,
 * each what predictor.predict says for that row. JSON answers hold one prediction per row.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { inject } from "light-my-request";
import { FEATURES } from "../../core/features.js";
import { MIN_NORMAL } from "../../core/input.js";
import { type App, buildApp } from "../../server/app.js";
import { type TrainedModel, trainedModel } from "../helpers/model.js";

/** A measurement: mostly plausible, sometimes anywhere a measurement may be (normal doubles > 0). */
const measurement = fc.oneof(
  { arbitrary: fc.double({ min: 0.1, max: 8, noNaN: true }), weight: 3 },
  {
    arbitrary: fc.double({
      min: MIN_NORMAL,
      max: Number.MAX_VALUE,
      noNaN: true,
      noDefaultInfinity: true,
    }),
    weight: 1,
  },
);
const row = fc.array(measurement, { minLength: 4, maxLength: 4 });
const rows = fc.array(row, { minLength: 1, maxLength: 100 });
const lineEnd = fc.constantFrom("\n", "\r\n");

const ACCEPTS = ["text/csv", "application/jsonlines", "application/json"] as const;

describe("server/app.ts /invocations: one output line per input line, in order", () => {
  let model: TrainedModel;
  let app: App;
  before(async () => {
    model = await trainedModel();
    app = buildApp({ predictor: model.predictor });
  });
  after(() => app.close());

  /** Check an answer against the rows, whatever it was asked in. */
  function expectRowByRow(
    accept: (typeof ACCEPTS)[number],
    input: number[][],
    res: { statusCode: number; body: string; headers: Record<string, unknown> },
  ) {
    assert.equal(res.statusCode, 200, res.body.slice(0, 300));
    const expected = input.map((r) => model.predictor.predict(r));
    if (accept === "application/json") {
      const json = JSON.parse(res.body) as { predictions: unknown[] };
      assert.deepEqual(json.predictions, expected);
      return;
    }
    assert.ok(res.body.endsWith("\n"));
    const lines = res.body.slice(0, -1).split("\n");
    assert.equal(lines.length, input.length, "one output line per input line");
    if (accept === "text/csv") {
      assert.deepEqual(
        lines,
        expected.map((p) => p.species),
      );
    } else {
      assert.deepEqual(
        lines.map((line) => JSON.parse(line)),
        expected,
      );
    }
  }

  for (const accept of ACCEPTS) {
    it(`text/csv in, ${accept} out`, async () => {
      await fc.assert(
        fc.asyncProperty(rows, lineEnd, fc.boolean(), async (input, eol, trailing) => {
          const body = input.map((r) => r.map(String).join(",")).join(eol) + (trailing ? eol : "");
          const res = await inject(app.handle, {
            method: "POST",
            url: "/invocations",
            headers: { "content-type": "text/csv", accept },
            payload: body,
          });
          expectRowByRow(accept, input, res);
        }),
        { numRuns: 150 },
      );
    });

    it(`application/jsonlines in (objects and arrays), ${accept} out`, async () => {
      const encoded = fc.array(fc.tuple(row, fc.boolean()), { minLength: 1, maxLength: 100 });
      await fc.assert(
        fc.asyncProperty(encoded, lineEnd, fc.boolean(), async (input, eol, trailing) => {
          const body =
            input
              .map(([r, asObject]) =>
                JSON.stringify(
                  asObject ? Object.fromEntries(FEATURES.map((name, i) => [name, r[i]])) : r,
                ),
              )
              .join(eol) + (trailing ? eol : "");
          const res = await inject(app.handle, {
            method: "POST",
            url: "/invocations",
            headers: { "content-type": "application/jsonlines", accept },
            payload: body,
          });
          expectRowByRow(
            accept,
            input.map(([r]) => r),
            res,
          );
        }),
        { numRuns: 150 },
      );
    });
  }

  it('POST /predict {"instances": [...]} answers the predictor row by row', async () => {
    await fc.assert(
      fc.asyncProperty(rows, async (input) => {
        const res = await inject(app.handle, {
          method: "POST",
          url: "/predict",
          payload: JSON.stringify({ instances: input }),
        });
        assert.equal(res.statusCode, 200, res.body.slice(0, 300));
        assert.deepEqual(res.json(), {
          predictions: input.map((r) => model.predictor.predict(r)),
          model_version: model.modelVersion,
        });
      }),
      { numRuns: 150 },
    );
  });
});
