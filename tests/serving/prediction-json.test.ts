/**
 * serving/prediction-json.ts writes predictions by hand for speed; it must write exactly what
 * JSON.stringify writes, for any class names (quotes, escapes, non-ASCII, integer-like names,
 * which objects order first) and any numbers.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Prediction } from "../../core/predictor.js";
import { predictionJson, predictionsJson } from "../../serving/prediction-json.js";
import { trainedModel } from "../helpers/model.js";

const name = fc.oneof(
  fc.constantFrom("setosa", "versicolor", "virginica", "0", "1", "10", "-1", "1.5", '"', "\\", "é"),
  fc.string({ unit: "binary", maxLength: 12 }),
);

const prediction: fc.Arbitrary<Prediction> = fc
  .tuple(
    fc.uniqueArray(name, { minLength: 1, maxLength: 5 }),
    fc.array(fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, 0.1 + 0.2, 1e-7, 1e21)), {
      minLength: 5,
      maxLength: 5,
    }),
    fc.boolean(),
    fc.nat({ max: 4 }),
  )
  .map(([names, values, is_iris, pick]) => {
    const probabilities: Record<string, number> = {};
    names.forEach((n, i) => {
      probabilities[n] = values[i] as number;
    });
    return { species: names[pick % names.length] as string, probabilities, is_iris };
  });

describe("serving/prediction-json.ts", () => {
  it("writes what JSON.stringify writes for one prediction (property)", () => {
    fc.assert(
      fc.property(prediction, (p) => {
        assert.equal(predictionJson(p), JSON.stringify(p));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes what JSON.stringify writes for {predictions, model_version} (property)", () => {
    fc.assert(
      fc.property(fc.array(prediction, { maxLength: 20 }), name, (ps, version) => {
        assert.equal(
          predictionsJson(ps, version),
          JSON.stringify({ predictions: ps, model_version: version }),
        );
      }),
      { numRuns: 500 },
    );
  });

  it("agrees with JSON.stringify on a real model's predictions, many rows at once", async () => {
    const { predictor, modelVersion } = await trainedModel();
    const rows = Array.from({ length: 20_000 }, (_, i) => [
      4 + (i % 40) / 10,
      2 + (i % 25) / 10,
      1 + (i % 60) / 10,
      0.1 + (i % 25) / 10,
    ]);
    const predictions = predictor.predictBatch(rows);
    assert.equal(
      predictionsJson(predictions, modelVersion),
      JSON.stringify({ predictions, model_version: modelVersion }),
    );
  });
});
