/** Seeded, stratified splits and folds (training/split.ts). */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stratifiedFolds, stratifiedSplit } from "../../training/split.js";
import { irisData } from "../helpers/trained.js";

const count = (indexes: readonly number[], labels: readonly number[], c: number) =>
  indexes.filter((i) => labels[i] === c).length;

/** Labels of classes with the given sizes, interleaved so that no class is a contiguous block. */
const labelsOf = (sizes: readonly number[]): number[] => {
  const labels: number[] = [];
  const left = [...sizes];
  while (left.some((n) => n > 0)) {
    left.forEach((n, c) => {
      if (n > 0) {
        labels.push(c);
        left[c] = n - 1;
      }
    });
  }
  return labels;
};

const classSizes = (min: number) =>
  fc.array(fc.integer({ min, max: 60 }), { minLength: 1, maxLength: 5 });

describe("stratifiedSplit", () => {
  it("holds out 20% of every Iris class: 10 of each 50", () => {
    const { labels } = irisData();
    const { train, test } = stratifiedSplit(labels, 0.2, 42);
    assert.equal(test.length, 30);
    assert.equal(train.length, 120);
    for (const c of [0, 1, 2]) {
      assert.equal(count(test, labels, c), 10);
      assert.equal(count(train, labels, c), 40);
    }
  });

  it("keeps each class's share, rounded, at least one row each side (property)", () => {
    fc.assert(
      fc.property(
        classSizes(2),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.nat(),
        (sizes, fraction, seed) => {
          const labels = labelsOf(sizes);
          const { train, test } = stratifiedSplit(labels, fraction, seed);
          sizes.forEach((n, c) => {
            const held = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
            assert.equal(count(test, labels, c), held, `class ${c} of ${n}`);
            assert.equal(count(train, labels, c), n - held);
          });
        },
      ),
    );
  });

  it("makes disjoint parts that cover every row, each sorted (property)", () => {
    fc.assert(
      fc.property(
        classSizes(2),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.nat(),
        (sizes, fraction, seed) => {
          const labels = labelsOf(sizes);
          const { train, test } = stratifiedSplit(labels, fraction, seed);
          const all = [...train, ...test].sort((a, b) => a - b);
          assert.deepEqual(
            all,
            labels.map((_, i) => i),
          );
          assert.deepEqual(
            train,
            [...train].sort((a, b) => a - b),
          );
          assert.deepEqual(
            test,
            [...test].sort((a, b) => a - b),
          );
        },
      ),
    );
  });

  it("is the same for the same seed and differs across seeds", () => {
    const { labels } = irisData();
    assert.deepEqual(stratifiedSplit(labels, 0.2, 42), stratifiedSplit(labels, 0.2, 42));
    const tests = new Set(
      [0, 1, 2, 3, 42, 1234, 2 ** 31 - 1].map((seed) =>
        stratifiedSplit(labels, 0.2, seed).test.join(),
      ),
    );
    assert.equal(tests.size, 7);
    fc.assert(
      fc.property(fc.nat(), fc.nat(), (a, b) => {
        fc.pre(a !== b);
        assert.notDeepEqual(
          stratifiedSplit(labels, 0.2, a).test,
          stratifiedSplit(labels, 0.2, b).test,
        );
      }),
      { numRuns: 50 },
    );
  });

  it("refuses a fraction outside (0, 1)", () => {
    for (const bad of [0, 1, -0.1, 1.5, Number.NaN]) {
      assert.throws(
        () => stratifiedSplit([0, 0, 1, 1], bad, 1),
        /test fraction must be between 0 and 1/,
      );
    }
  });
});

describe("stratifiedFolds", () => {
  it("puts every row in exactly one test fold, its train part the rest (property)", () => {
    fc.assert(
      fc.property(classSizes(10), fc.integer({ min: 2, max: 10 }), fc.nat(), (sizes, k, seed) => {
        const labels = labelsOf(sizes);
        const folds = stratifiedFolds(labels, k, seed);
        assert.equal(folds.length, k);
        const seen = new Array<number>(labels.length).fill(0);
        for (const { train, test } of folds) {
          for (const i of test) seen[i] = (seen[i] as number) + 1;
          const inTest = new Set(test);
          assert.deepEqual(
            train,
            labels.map((_, i) => i).filter((i) => !inTest.has(i)),
          );
        }
        assert.ok(seen.every((n) => n === 1));
      }),
    );
  });

  it("balances the folds: per class, and in total, sizes differ by at most one (property)", () => {
    fc.assert(
      fc.property(classSizes(10), fc.integer({ min: 2, max: 10 }), fc.nat(), (sizes, k, seed) => {
        const labels = labelsOf(sizes);
        const folds = stratifiedFolds(labels, k, seed);
        const spread = (values: number[]) => Math.max(...values) - Math.min(...values);
        sizes.forEach((_, c) => {
          assert.ok(spread(folds.map((f) => count(f.test, labels, c))) <= 1, `class ${c}`);
        });
        assert.ok(spread(folds.map((f) => f.test.length)) <= 1);
      }),
    );
  });

  it("splits the Iris training part (120 rows) into 5 folds of 24, 8 of each class", () => {
    const { labels } = irisData();
    const trainLabels = stratifiedSplit(labels, 0.2, 42).train.map((i) => labels[i] as number);
    const folds = stratifiedFolds(trainLabels, 5, 42);
    assert.equal(folds.length, 5);
    for (const fold of folds) {
      assert.equal(fold.test.length, 24);
      assert.equal(fold.train.length, 96);
      for (const c of [0, 1, 2]) assert.equal(count(fold.test, trainLabels, c), 8);
    }
  });

  it("is the same for the same seed and differs across seeds", () => {
    const { labels } = irisData();
    assert.deepEqual(stratifiedFolds(labels, 5, 7), stratifiedFolds(labels, 5, 7));
    assert.notDeepEqual(stratifiedFolds(labels, 5, 7), stratifiedFolds(labels, 5, 8));
  });

  it("refuses fewer than 2 folds, a fractional count, and a class smaller than the fold count", () => {
    for (const k of [1, 0, -1, 2.5, Number.NaN]) {
      assert.throws(
        () => stratifiedFolds([0, 0, 0, 1, 1, 1], k, 1),
        /folds must be an integer >= 2/,
      );
    }
    assert.throws(
      () => stratifiedFolds([0, 0, 0, 1, 1], 3, 1),
      /a class has 2 rows, fewer than 3 folds/,
    );
  });
});
