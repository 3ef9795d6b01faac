/**
 * Fits the novelty detector (core/novelty.ts) on the training rows: for each species the mean
 * and the inverse covariance of its measurements (plus the variance of measuring to 0.1 cm).
 *
 * The threshold is calibrated on the training rows by leave-one-out: each row's distance to its
 * own species is measured with the species' mean and covariance fitted *without* that row, so
 * every training row is scored as the new flower it would be at serving time. The threshold is
 * the largest of those distances, and never below the 99.9% quantile of the chi-square
 * distribution with four degrees of freedom (18.47), what a Gaussian species would give. Why leave-one-out: in-sample distances understate how far a genuinely new
 * Iris falls (the row pulled its own mean and covariance towards itself), so a threshold set on
 * them rejects real flowers.
 */
import { inverse, Matrix } from "ml-matrix";
import { type NoveltyModel, squaredDistance } from "../core/novelty.js";

/** chi-square(4) 99.9% quantile: a Gaussian class's floor for the threshold. */
const CHI2_4_999 = 18.467;

/**
 * The variance of recording a length to the nearest 0.1 cm, as Fisher's data is: (0.1)² / 12.
 * Added to every covariance's diagonal, it keeps a class whose rows share a value (a constant
 * petal width, say) invertible, and says no new flower can be told apart more finely than the
 * data was measured.
 */
const MEASUREMENT_VARIANCE = 0.01 / 12;

function meanAndPrecision(rows: number[][]): { mean: number[]; precision: number[] } {
  const x = new Matrix(rows);
  const mean = x.mean("column");
  const centred = x.clone().subRowVector(mean);
  const covariance = centred
    .transpose()
    .mmul(centred)
    .div(rows.length - 1)
    .add(Matrix.eye(mean.length).mul(MEASUREMENT_VARIANCE));
  return { mean, precision: inverse(covariance).to1DArray() };
}

export function fitNovelty(rows: number[][], labels: number[], classes: number): NoveltyModel {
  const byClass = Array.from({ length: classes }, (_, c) => rows.filter((_, i) => labels[i] === c));
  const fits = byClass.map((members, c) => {
    if (members.length <= (rows[0]?.length ?? 0) + 1) {
      throw new Error(
        `class ${c} has ${members.length} training rows: too few to fit its covariance`,
      );
    }
    return meanAndPrecision(members);
  });
  let worst = 0;
  for (const members of byClass) {
    members.forEach((row, i) => {
      const rest = meanAndPrecision(members.filter((_, j) => j !== i));
      worst = Math.max(worst, squaredDistance(row, rest.mean, rest.precision));
    });
  }
  return {
    method: "mahalanobis-nearest-class",
    means: fits.map((f) => f.mean),
    precisions: fits.map((f) => f.precision),
    threshold: Math.max(CHI2_4_999, worst),
  };
}
