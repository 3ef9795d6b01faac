/**
 * What the training data looked like, kept in the artifact's manifest (`training_profile`) so
 * that captured traffic can be compared with it later (monitoring/drift.ts) without the data:
 * per feature, bins cut at the training deciles and each bin's training share (for PSI) and the
 * sorted training values (for the exact two-sample Kolmogorov-Smirnov statistic); the class mix.
 * Pure arithmetic on the rows, so the same training rows give the same bytes (the artifact is
 * content-addressed and reproducible).
 */
import { FEATURES, type FeatureName } from "../core/features.js";
import type { TrainingProfile } from "./types.js";

/** Bins per feature before equal edges are merged: deciles. */
export const PROFILE_BINS = 10;

const ascending = (a: number, b: number) => a - b;

/** The q-quantile of sorted values, linear between order statistics (R's type 7, numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const lower = sorted[low] as number;
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] as number;
  return lower + (upper - lower) * (at - low);
}

/**
 * The bin of a value: how many inner edges are at or below it (k edges make k + 1 bins, the
 * outer ones open-ended; a value equal to an edge belongs to the bin above it).
 */
export function binOf(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((edges[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Inner edges at the deciles of sorted values, equal ones merged (Iris is measured to the mm). */
export function decileEdges(sorted: readonly number[], bins = PROFILE_BINS): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = quantile(sorted, i / bins);
    // an edge at the minimum would leave the lowest bin empty by construction
    if (edge > (sorted[0] as number) && edge !== edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

export function profileTraining(
  rows: readonly ArrayLike<number>[],
  labels: readonly number[],
  classes: readonly string[],
): TrainingProfile {
  if (rows.length === 0) throw new Error("cannot profile training data without rows");
  if (labels.length !== rows.length)
    throw new Error(`${rows.length} rows but ${labels.length} labels`);
  const features = {} as TrainingProfile["features"];
  FEATURES.forEach((name: FeatureName, f) => {
    const sorted = rows.map((row) => row[f] as number).sort(ascending);
    const edges = decileEdges(sorted);
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const value of sorted) {
      const bin = binOf(edges, value);
      counts[bin] = (counts[bin] as number) + 1;
    }
    features[name] = { edges, shares: counts.map((c) => c / sorted.length), sorted };
  });
  const classCounts = classes.map(() => 0);
  for (const label of labels) classCounts[label] = (classCounts[label] as number) + 1;
  const class_mix = Object.fromEntries(
    classes.map((name, c) => [name, (classCounts[c] as number) / labels.length]),
  );
  return { rows: rows.length, features, class_mix };
}
