/**
 * "Does this look like an Iris at all?" A novelty detector fitted on the training rows: for each
 * species the mean and the inverse covariance of its measurements, and a row is an Iris when its
 * squared Mahalanobis distance to the nearest species is at most `threshold`.
 *
 * The threshold is calibrated on the training rows by leave-one-out: each row's distance to its
 * own species is measured with the species' mean and covariance fitted *without* that row, so
 * every training row is scored as the new flower it would be at serving time. The threshold is
 * the largest of those distances, and never below the 99.9% quantile of the chi-square distribution with four degrees of freedom (18.47), what a Gaussian
 * species would give. Why leave-one-out: in-sample distances understate how far a genuinely new
 * Iris falls (the row pulled its own mean and covariance towards itself), so a threshold set on
 * them rejects real flowers.
 */
import { inverse, Matrix } from "ml-matrix";

export interface NoveltyModel {
  readonly method: "mahalanobis-nearest-class";
  /** Per class: mean vector. */
  readonly means: number[][];
  /** Per class: inverse covariance, row-major, features × features. */
  readonly precisions: number[][];
  /** Largest squared distance to the nearest class that is still an Iris. */
  readonly threshold: number;
}

/** chi-square(4) 99.9% quantile: a Gaussian class's floor for the threshold. */
const CHI2_4_999 = 18.467;

function meanAndPrecision(rows: number[][]): { mean: number[]; precision: number[] } {
  const x = new Matrix(rows);
  const mean = x.mean("column");
  const centred = x.clone().subRowVector(mean);
  const covariance = centred
    .transpose()
    .mmul(centred)
    .div(rows.length - 1);
  return { mean, precision: inverse(covariance).to1DArray() };
}

/** Squared Mahalanobis distance; plain loops, as it runs once per prediction. */
export function squaredDistance(
  row: ArrayLike<number>,
  mean: readonly number[],
  precision: readonly number[],
): number {
  const d = mean.length;
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const di = (row[i] as number) - (mean[i] as number);
    for (let j = 0; j < d; j++) {
      sum += di * (precision[i * d + j] as number) * ((row[j] as number) - (mean[j] as number));
    }
  }
  return sum;
}

export function nearestClassDistance(model: NoveltyModel, row: ArrayLike<number>): number {
  let best = Number.POSITIVE_INFINITY;
  for (let c = 0; c < model.means.length; c++) {
    const d = squaredDistance(row, model.means[c] as number[], model.precisions[c] as number[]);
    if (d < best) best = d;
  }
  return best;
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
