/**
 * "Does this look like an Iris at all?" A row is an Iris when its squared Mahalanobis distance
 * to the nearest species (each species' mean and inverse covariance, fitted in training) is at
 * most the model's threshold. How the threshold is chosen: training/novelty-fit.ts.
 */

export interface NoveltyModel {
  readonly method: "mahalanobis-nearest-class";
  /** Per class: mean vector. */
  readonly means: number[][];
  /** Per class: inverse covariance, row-major, features × features. */
  readonly precisions: number[][];
  /** Largest squared distance to the nearest class that is still an Iris. */
  readonly threshold: number;
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
