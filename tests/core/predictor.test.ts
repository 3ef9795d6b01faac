/** The prediction core's API: one row, a batch, the label alone; all from one artifact. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadPredictor } from "../../core/predictor.js";
import { featureMaxima, irisData, trainedModel } from "../helpers/trained.js";

const positiveRow = () => {
  const maxima = featureMaxima();
  return fc.tuple(
    ...maxima.map((max) => fc.double({ min: Number.MIN_VALUE, max: 1.5 * max, noNaN: true })),
  );
};

describe("predictor", () => {
  it("names the species of the Iris rows, nearly all right", async () => {
    const { predictor } = await trainedModel();
    const { rows, labels, classes } = irisData();
    assert.deepEqual(predictor.classes, classes);
    const right = rows.filter(
      (row, i) => predictor.predict(row).species === classes[labels[i] as number],
    );
    assert.ok(right.length >= 142, `${right.length} of 150 right`);
    assert.equal(predictor.predict([5.1, 3.5, 1.4, 0.2]).species, "setosa");
    assert.equal(predictor.predict([7.7, 3.0, 6.1, 2.3]).species, "virginica");
    assert.equal(predictor.predict([5.9, 3.0, 4.2, 1.5]).species, "versicolor");
  });

  it("gives probabilities that are vote shares: one per class, multiples of 1/trees, summing to 1 (property)", async () => {
    const { predictor, options } = await trainedModel();
    fc.assert(
      fc.property(positiveRow(), (row) => {
        const { species, probabilities } = predictor.predict(row);
        assert.deepEqual(Object.keys(probabilities), predictor.classes);
        let sum = 0;
        for (const p of Object.values(probabilities)) {
          assert.ok(p >= 0 && p <= 1);
          const votes = p * options.trees;
          assert.ok(
            Math.abs(votes - Math.round(votes)) < 1e-9,
            `${p} is not votes/${options.trees}`,
          );
          sum += p;
        }
        assert.ok(Math.abs(sum - 1) < 1e-12);
        const best = Math.max(...Object.values(probabilities));
        assert.equal(probabilities[species], best, "the species has the most votes");
      }),
    );
  });

  it("classify, predict and predictBatch agree; number[] and Float64Array rows alike (property)", async () => {
    const { predictor } = await trainedModel();
    fc.assert(
      fc.property(fc.array(positiveRow(), { minLength: 1, maxLength: 20 }), (rows) => {
        const batch = predictor.predictBatch(rows);
        assert.equal(batch.length, rows.length);
        rows.forEach((row, i) => {
          const one = predictor.predict(row);
          assert.deepEqual(batch[i], one);
          assert.deepEqual(predictor.predict(Float64Array.from(row)), one);
          assert.equal(predictor.classes[predictor.classify(row)], one.species);
        });
      }),
    );
  });

  it("keeps no state between rows: the same row gives the same answer after others", async () => {
    const { predictor } = await trainedModel();
    const a = predictor.predict([6.0, 2.7, 5.1, 1.6]);
    const answers = irisData().rows.map((row) => predictor.predict(row));
    assert.deepEqual(predictor.predict([6.0, 2.7, 5.1, 1.6]), a);
    // each answer owns its probabilities
    (answers[0] as { probabilities: Record<string, number> }).probabilities.setosa = 42;
    assert.notEqual(predictor.predict(irisData().rows[0] as number[]).probabilities.setosa, 42);
  });

  it("carries the model version and manifest of its artifact", async () => {
    const model = await trainedModel();
    const loaded = await loadPredictor(model.tarball);
    assert.equal(loaded.modelVersion, model.result.manifest.model_version);
    assert.match(loaded.modelVersion, /^[0-9a-f]{16}$/);
    assert.deepEqual(loaded.manifest, model.result.manifest);
    for (const row of irisData().rows)
      assert.deepEqual(loaded.predict(row), model.predictor.predict(row));
  });
});
