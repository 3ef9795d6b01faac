/**
 * What the training report draws that the TrainResult does not hold: the training and test
 * rows again (the split is re-made from the manifest's seed and test fraction), the features'
 * training medians, permutation importance on the test rows, and the model's decision regions.
 * All of it from the shipped model (the compiled forest in the artifact), so the pictures show
 * what is served.
 */
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { verifyArtifact } from "../core/artifact.js";
import { FEATURES } from "../core/features.js";
import { createForestVoter, type ForestVoter } from "../core/forest.js";
import type { Dataset } from "../training/data.js";
import { stratifiedSplit } from "../training/split.js";
import type { TrainResult } from "../training/train.js";

/** Times each feature's column is shuffled; the importance is the mean accuracy drop. */
export const PERMUTATION_REPEATS = 30;
/** Cells per axis of a decision-region grid. */
export const GRID_CELLS = 80;

export interface Importance {
  feature: string;
  /** Mean drop of test accuracy when the feature's column is shuffled. */
  mean: number;
  std: number;
}

/** One run of grid cells of a row that the model gives the same class. */
export interface Region {
  x: number;
  x2: number;
  y: number;
  y2: number;
  species: string;
}

export interface TrainFigures {
  classes: string[];
  train: { rows: number[][]; labels: number[] };
  test: { rows: number[][]; labels: number[] };
  /** Training medians per feature, in FEATURES order. */
  medians: number[];
  importance: Importance[];
  regions(fx: number, fy: number): Region[];
  /** Each feature's plotted range (the data's, with a margin). */
  extent: [number, number][];
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

function accuracy(voter: ForestVoter, rows: number[][], labels: number[], classes: number) {
  const votes = new Uint16Array(classes);
  let right = 0;
  rows.forEach((row, i) => {
    if (voter(row, votes) === labels[i]) right++;
  });
  return rows.length ? right / rows.length : 0;
}

function permutationImportance(
  voter: ForestVoter,
  rows: number[][],
  labels: number[],
  classes: number,
  seed: number,
): Importance[] {
  const rng = xoroshiro128plus(seed);
  const base = accuracy(voter, rows, labels, classes);
  return FEATURES.map((feature, f) => {
    const drops = Array.from({ length: PERMUTATION_REPEATS }, () => {
      const column = rows.map((row) => row[f] as number);
      for (let i = column.length - 1; i > 0; i--) {
        const j = uniformInt(rng, 0, i);
        [column[i], column[j]] = [column[j] as number, column[i] as number];
      }
      const shuffled = rows.map((row, i) =>
        row.map((v, g) => (g === f ? (column[i] as number) : v)),
      );
      return base - accuracy(voter, shuffled, labels, classes);
    });
    const mean = drops.reduce((a, b) => a + b, 0) / drops.length;
    const std = Math.sqrt(drops.reduce((a, d) => a + (d - mean) ** 2, 0) / (drops.length - 1));
    return { feature, mean, std };
  });
}

export function trainFigures(result: TrainResult, data: Dataset): TrainFigures {
  const { manifest } = result;
  const recorded = manifest.data as { rows: number; source: string };
  if (data.rows.length !== recorded.rows || data.source !== recorded.source) {
    throw new RangeError(
      `the report needs the rows the model was trained on (${recorded.source}, ${recorded.rows} rows); got ${data.source}, ${data.rows.length} rows`,
    );
  }
  const hyper = manifest.hyperparameters as { seed: number; testFraction: number };
  const split = stratifiedSplit(data.labels, hyper.testFraction, hyper.seed);
  const part = (indexes: number[]) => ({
    rows: indexes.map((i) => data.rows[i] as number[]),
    labels: indexes.map((i) => data.labels[i] as number),
  });
  const train = part(split.train);
  const test = part(split.test);
  const classes = manifest.classes;
  const voter = createForestVoter(verifyArtifact(result.files).compiled.forest);
  const medians = FEATURES.map((_, f) => median(train.rows.map((row) => row[f] as number)));
  const extent = FEATURES.map((_, f): [number, number] => {
    const values = data.rows.map((row) => row[f] as number);
    return [
      Math.max(0, Math.floor(Math.min(...values) * 2 - 1) / 2),
      Math.ceil(Math.max(...values) * 2 + 1) / 2,
    ];
  });

  const regions = (fx: number, fy: number): Region[] => {
    const [x0, x1] = extent[fx] as [number, number];
    const [y0, y1] = extent[fy] as [number, number];
    const dx = (x1 - x0) / GRID_CELLS;
    const dy = (y1 - y0) / GRID_CELLS;
    const votes = new Uint16Array(classes.length);
    const row = [...medians];
    const out: Region[] = [];
    // a run with the same cells and class as one in the row below grows that one upwards
    let below = new Map<string, Region>();
    for (let j = 0; j < GRID_CELLS; j++) {
      row[fy] = y0 + (j + 0.5) * dy;
      const here = new Map<string, Region>();
      let start = 0;
      let current = -1;
      for (let i = 0; i <= GRID_CELLS; i++) {
        let label = -1;
        if (i < GRID_CELLS) {
          row[fx] = x0 + (i + 0.5) * dx;
          label = voter(row, votes);
        }
        if (label === current) continue;
        if (current >= 0) {
          const key = `${start}:${i}:${current}`;
          const grown = below.get(key);
          if (grown) grown.y2 = y0 + (j + 1) * dy;
          const region = grown ?? {
            x: x0 + start * dx,
            x2: x0 + i * dx,
            y: y0 + j * dy,
            y2: y0 + (j + 1) * dy,
            species: classes[current] as string,
          };
          if (!grown) out.push(region);
          here.set(key, region);
        }
        current = label;
        start = i;
      }
      below = here;
    }
    return out;
  };

  return {
    classes,
    train,
    test,
    medians,
    importance: permutationImportance(voter, test.rows, test.labels, classes.length, hyper.seed),
    regions,
    extent,
  };
}
