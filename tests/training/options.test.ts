/** Training options: defaults, and every bad value refused with a message naming the option. */
import assert from "node:assert/strict";
import {
  checkTrainOptions,
  DEFAULT_TRAIN_OPTIONS,
  type TrainOptions,
} from "../../training/options.js";
import { train } from "../../training/train.js";
import { irisData } from "../helpers/trained.js";

describe("checkTrainOptions", () => {
  it("accepts the defaults, which are the library's", () => {
    assert.equal(checkTrainOptions({ ...DEFAULT_TRAIN_OPTIONS }).trees, 50);
    assert.deepEqual(DEFAULT_TRAIN_OPTIONS, {
      trees: 50,
      maxFeatures: 1.0,
      replacement: true,
      bagging: true,
      seed: 42,
      minSamples: 3,
      gainThreshold: 0.01,
      testFraction: 0.2,
      folds: 5,
    });
  });

  it("accepts values at the edges of each range", () => {
    const good: Partial<TrainOptions>[] = [
      { trees: 1 },
      { trees: 5000 },
      { maxFeatures: 0.25 },
      { maxFeatures: 2 },
      { maxFeatures: 4 },
      { seed: 0 },
      { seed: 2 ** 31 - 1 },
      { maxDepth: 1 },
      { maxDepth: undefined },
      { minSamples: 1 },
      { gainThreshold: 0 },
      { testFraction: 0.01 },
      { folds: 2 },
      { folds: 20 },
    ];
    for (const change of good) checkTrainOptions({ ...DEFAULT_TRAIN_OPTIONS, ...change });
  });

  const bad: [keyof TrainOptions, unknown[]][] = [
    ["trees", [0, -1, 1.5, 5001, Number.NaN, Number.POSITIVE_INFINITY, "10"]],
    ["maxFeatures", [0, -0.5, 5, 1.5, Number.NaN]],
    ["seed", [-1, 0.5, 2 ** 31, Number.NaN]],
    ["maxDepth", [0, -2, 1.5, Number.NaN]],
    ["minSamples", [0, -1, 2.5, Number.NaN]],
    ["gainThreshold", [-0.01, 1, 2, Number.NaN]],
    ["testFraction", [0, 1, -0.2, 1.2, Number.NaN]],
    ["folds", [1, 0, 21, 2.5, Number.NaN]],
  ];
  for (const [name, values] of bad) {
    it(`refuses a bad ${name}, naming it and the value`, () => {
      for (const value of values) {
        assert.throws(
          () => checkTrainOptions({ ...DEFAULT_TRAIN_OPTIONS, [name]: value } as TrainOptions),
          (error: Error) =>
            error instanceof RangeError &&
            error.message.startsWith(`${name} must be `) &&
            error.message.endsWith(`got ${String(value)}`),
          `${name} = ${String(value)}`,
        );
      }
    });
  }

  it("train() checks its options before training", () => {
    assert.throws(
      () => train(irisData(), { ...DEFAULT_TRAIN_OPTIONS, trees: 0 }),
      /^RangeError: trees must be/,
    );
  });
});
