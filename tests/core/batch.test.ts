/**
 * The columnar batch API (core/batch.ts, predictor.predictColumns) against the per-row
 * predictor it must equal: species, votes, vote shares and is_iris, on random rows, on rows
 * placed exactly on split values and the doubles either side, and on values no reader lets in.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { batchPredictions, createBatchPredictor } from "../../core/batch.js";
import type { Predictor } from "../../core/predictor.js";
import { nextDown, nextUp } from "../helpers/float.js";
import { inside, splitNodes } from "../helpers/forest.js";
import { featureMaxima, irisData, type TrainedModel, trainedModel } from "../helpers/trained.js";

/** Every answer of `predictColumns` for `rows`, as `predict` gives them. */
function batchAnswers(predictor: Predictor, rows: readonly (readonly number[])[]) {
  const flat = Float64Array.from(rows.flat());
  const out = batchPredictions(rows.length, predictor.classes.length);
  predictor.predictColumns(flat, rows.length, out);
  const classes = predictor.classes;
  return rows.map((_, i) => ({
    species: classes[out.species[i] as number],
    probabilities: Object.fromEntries(
      classes.map((name, c) => [name, out.shares[i * classes.length + c] as number]),
    ),
    is_iris: out.isIris[i] === 1,
    votes: Array.from(out.votes.subarray(i * classes.length, (i + 1) * classes.length)),
  }));
}

function assertSame(predictor: Predictor, trees: number, rows: readonly (readonly number[])[]) {
  batchAnswers(predictor, rows).forEach(({ votes, ...answer }, i) => {
    const one = predictor.predict(rows[i] as number[]);
    assert.deepEqual(answer, one, `row ${i}: ${rows[i]}`);
    assert.deepEqual(
      votes.map((v) => v / trees),
      Object.values(one.probabilities),
    );
  });
}

/** Measurements anywhere a reader lets them through, and values none does (predict takes them too). */
const value = (max: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: Number.MIN_VALUE, max: 1.5 * max, noNaN: true }) },
    { weight: 1, arbitrary: fc.double({ noNaN: true }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(Number.NaN, 0, -0, Number.MAX_VALUE, Number.MIN_VALUE, 1e-310),
    },
  );

// the default forest, and a small one where ties between classes are common
for (const overrides of [{}, { trees: 6, seed: 3 }]) {
  describe(`predictColumns ≡ predict: ${JSON.stringify(overrides)}`, () => {
    let model: TrainedModel;
    before(async () => {
      model = await trainedModel(overrides);
    });

    it("gives the per-row answers on random rows, batches of any size (property)", () => {
      const row = fc.tuple(...featureMaxima().map(value));
      fc.assert(
        fc.property(fc.array(row, { minLength: 1, maxLength: 300 }), (rows) => {
          assertSame(model.predictor, model.options.trees, rows);
        }),
        { numRuns: 200 },
      );
    });

    it("gives the per-row answers on every split value of every tree and the doubles either side", () => {
      const typical = irisData().rows[75] as number[];
      const rows = splitNodes(model.compiled.forest).flatMap(({ feature, threshold, bounds }) => {
        const base = bounds.map((b, k) => inside(b, typical[k] as number));
        return [threshold, nextDown(threshold), nextUp(threshold)].map((x) =>
          base.map((v, k) => (k === feature ? x : v)),
        );
      });
      assert.ok(rows.length >= 3 * model.options.trees, `${rows.length} rows`);
      assertSame(model.predictor, model.options.trees, rows);
    });

    it("gives the per-row answers on the Iris rows, in one batch and row by row", () => {
      const { rows } = irisData();
      assertSame(model.predictor, model.options.trees, rows);
      for (const row of rows.slice(0, 10)) assertSame(model.predictor, model.options.trees, [row]);
    });
  });
}

describe("predictColumns: its arrays", () => {
  it("writes only the rows asked for, into arrays reused from batch to batch", async () => {
    const { predictor } = await trainedModel();
    const out = batchPredictions(4, predictor.classes.length);
    const rows = irisData().rows;
    predictor.predictColumns(Float64Array.from([rows[0], rows[100]].flat()), 2, out);
    predictor.predictColumns(Float64Array.from([rows[50]].flat()), 1, out);
    assert.equal(predictor.classes[out.species[0] as number], "versicolor");
    assert.equal(predictor.classes[out.species[1] as number], "virginica");
    assert.deepEqual(
      Array.from(out.species.subarray(2)),
      [0, 0],
      "rows not asked for stay as made",
    );
  });

  it("refuses a batch larger than its arrays or its rows", async () => {
    const { compiled } = await trainedModel();
    const predict = createBatchPredictor(compiled);
    const out = batchPredictions(2, 3);
    assert.throws(() => predict(new Float64Array(12), 3, out), RangeError);
    assert.throws(() => predict(new Float64Array(4), 2, out), RangeError);
  });

  it("refuses a malformed forest before generating any code", async () => {
    const { compiled } = await trainedModel();
    const forest = { ...compiled.forest, feature: compiled.forest.feature.map(() => 9) };
    assert.throws(() => createBatchPredictor({ ...compiled, forest }), /out of range/);
  });
});
