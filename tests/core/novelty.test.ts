/** is_iris: the novelty detector fitted at training time, as the predictor applies it. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type NoveltyModel, nearestClassDistance, squaredDistance } from "../../core/novelty.js";
import { fitNovelty } from "../../training/novelty-fit.js";
import { irisData, trainedModel } from "../helpers/trained.js";

const isIris = async (seed: number) => {
  const { predictor } = await trainedModel({ seed });
  return (row: number[]) => predictor.predict(row).is_iris;
};

describe("novelty: is_iris", () => {
  for (const seed of [42, 1, 7, 2024]) {
    it(`holds for at least 148 of the 150 real Iris rows (seed ${seed})`, async () => {
      const check = await isIris(seed);
      const { rows } = irisData();
      const accepted = rows.filter(check).length;
      assert.ok(accepted >= 148, `${accepted} of 150 accepted`);
    });
  }

  const notIris: [string, number[]][] = [
    ["a 40 cm sepal", [40, 3, 1.4, 0.2]],
    ["a 30 cm petal", [6, 3, 30, 2]],
    ["0.1 cm everything", [0.1, 0.1, 0.1, 0.1]],
    ["a petal wider than any Iris petal is long", [5, 3, 1, 3]],
    ["a setosa sepal with a virginica petal", [5, 3.4, 6, 2.3]],
    ["1 m everything", [100, 100, 100, 100]],
  ];
  for (const [what, row] of notIris) {
    it(`is false for ${what} [${row}]`, async () => {
      for (const seed of [42, 7]) assert.equal((await isIris(seed))(row), false, `seed ${seed}`);
    });
  }

  it("is false for a real row scaled by 10 (and by more, or shrunk tenfold) (property)", async () => {
    const check = await isIris(42);
    const { rows } = irisData();
    fc.assert(
      fc.property(
        fc.nat(rows.length - 1),
        fc.oneof(
          fc.constant(10),
          fc.double({ min: 10, max: 1e6, noNaN: true }),
          fc.double({ min: 1e-6, max: 0.1, noNaN: true }),
        ),
        (i, factor) => {
          const row = (rows[i] as number[]).map((x) => x * factor);
          assert.equal(check(row), false, `row ${i} × ${factor}: [${row}]`);
        },
      ),
    );
  });

  it("is true for the very rows the model was trained on, and the manifest records the threshold", async () => {
    const model = await trainedModel();
    const novelty = model.compiled.novelty;
    assert.ok(novelty.threshold >= 18.467);
    assert.equal(
      (model.result.manifest.novelty as { threshold: number }).threshold,
      novelty.threshold,
    );
    for (const row of irisData().rows) {
      assert.equal(
        model.predictor.predict(row).is_iris,
        nearestClassDistance(novelty, row) <= novelty.threshold,
      );
    }
  });
});

describe("novelty: distances and fitting", () => {
  const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

  it("squaredDistance with the identity precision is the squared Euclidean distance", () => {
    assert.equal(squaredDistance([1, 2, 3, 4], [0, 0, 0, 0], identity), 30);
    assert.equal(squaredDistance([1, 2, 3, 4], [1, 2, 3, 4], identity), 0);
  });

  it("squaredDistance weighs each feature by the precision", () => {
    const diagonal = [4, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0.25, 0, 0, 0, 0, 1];
    // 4·1² + 1·1² + 0.25·2² + 1·0²
    assert.equal(squaredDistance([1, 1, 2, 0], [0, 0, 0, 0], diagonal), 6);
    // a correlated precision: off-diagonal terms count twice
    const coupled = [1, 0.5, 0, 0, 0.5, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    assert.equal(squaredDistance([1, 1, 0, 0], [0, 0, 0, 0], coupled), 3);
  });

  it("nearestClassDistance takes the nearest class", () => {
    const model: NoveltyModel = {
      method: "mahalanobis-nearest-class",
      means: [
        [0, 0, 0, 0],
        [10, 10, 10, 10],
      ],
      precisions: [identity, identity],
      threshold: 1,
    };
    assert.equal(nearestClassDistance(model, [9, 10, 10, 10]), 1);
    assert.equal(nearestClassDistance(model, [0, 0, 0, 2]), 4);
  });

  it("fitNovelty keeps every training row inside the threshold, never below chi-square(4) 99.9%", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        // a seeded cloud per class: deterministic, different for every seed
        let state = seed;
        const random = () => {
          state = (state * 48271) % 2147483647;
          return state / 2147483647;
        };
        const rows: number[][] = [];
        const labels: number[] = [];
        for (let c = 0; c < 2; c++) {
          for (let i = 0; i < 12; i++) {
            rows.push([0, 1, 2, 3].map((f) => 5 * c + f + random()));
            labels.push(c);
          }
        }
        const model = fitNovelty(rows, labels, 2);
        assert.ok(model.threshold >= 18.467);
        assert.equal(model.means.length, 2);
        assert.equal(model.precisions[0]?.length, 16);
        for (const row of rows) assert.ok(nearestClassDistance(model, row) <= model.threshold);
      }),
      { numRuns: 30 },
    );
  });

  it("fitNovelty refuses a class too small to fit a covariance", () => {
    const rows = [
      [1, 2, 3, 4],
      [2, 3, 4, 5],
      [1, 1, 1, 1],
      [3, 1, 2, 1],
      [2, 2, 1, 3],
    ];
    assert.throws(() => fitNovelty(rows, [0, 0, 0, 0, 0], 1), /class 0 has 5 training rows/);
  });
});
