/** Hyper-parameters of a training run, with their defaults. */

export interface TrainOptions {
  /** Number of trees (ml-random-forest `nEstimators`). Default 50, the library's. */
  trees: number;
  /** Features per tree: a fraction in (0, 1] or a whole count. Default 1.0 (all four, drawn with replacement). */
  maxFeatures: number;
  /** Draw each tree's features with replacement. Default true, the library's. */
  replacement: boolean;
  /** Bootstrap the rows of each tree. Default true. */
  bagging: boolean;
  /** Seed of the split, the folds and the forest (a 32-bit integer). Default 42. */
  seed: number;
  /** Tree depth limit; undefined means unlimited (the library's default). */
  maxDepth?: number | undefined;
  /** A node with this many rows or fewer becomes a leaf. Default 3, the library's. */
  minSamples: number;
  /** A split must gain more than this (Gini). Default 0.01, the library's. */
  gainThreshold: number;
  /** Share of each class held out for the test metrics. Default 0.2. */
  testFraction: number;
  /** Folds of the cross-validation on the training part. Default 5. */
  folds: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  trees: 50,
  maxFeatures: 1.0,
  replacement: true,
  bagging: true,
  seed: 42,
  minSamples: 3,
  gainThreshold: 0.01,
  testFraction: 0.2,
  folds: 5,
};

/** Check options from any source (CLI flags, SageMaker hyper-parameters); throws a RangeError naming the bad one. */
export function checkTrainOptions(options: TrainOptions): TrainOptions {
  const fail = (name: string, rule: string, value: unknown) => {
    throw new RangeError(`${name} must be ${rule}, got ${String(value)}`);
  };
  const { trees, maxFeatures, seed, maxDepth, minSamples, gainThreshold, testFraction, folds } =
    options;
  if (!(Number.isInteger(trees) && trees >= 1 && trees <= 5000))
    fail("trees", "an integer from 1 to 5000", trees);
  if (
    !(
      (maxFeatures > 0 && maxFeatures <= 1) ||
      (Number.isInteger(maxFeatures) && maxFeatures >= 1 && maxFeatures <= 4)
    )
  ) {
    fail("maxFeatures", "a fraction in (0, 1] or a whole number from 1 to 4", maxFeatures);
  }
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31))
    fail("seed", "an integer from 0 to 2^31-1", seed);
  if (maxDepth !== undefined && !(Number.isInteger(maxDepth) && maxDepth >= 1))
    fail("maxDepth", "an integer >= 1", maxDepth);
  if (!(Number.isInteger(minSamples) && minSamples >= 1))
    fail("minSamples", "an integer >= 1", minSamples);
  if (!(gainThreshold >= 0 && gainThreshold < 1))
    fail("gainThreshold", "a number in [0, 1)", gainThreshold);
  if (!(testFraction > 0 && testFraction < 1))
    fail("testFraction", "a number between 0 and 1", testFraction);
  if (!(Number.isInteger(folds) && folds >= 2 && folds <= 20))
    fail("folds", "an integer from 2 to 20", folds);
  return options;
}
