/** The evaluation as a table for the terminal. */
import type { TrainResult } from "./train.js";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number) => x.toFixed(3);

/** Rows as aligned columns: the first left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, c) =>
    Math.max(...rows.map((r) => (r[c] as string).length)),
  );
  return rows
    .map((r) =>
      r
        .map((cell, c) =>
          c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number),
        )
        .join("  "),
    )
    .join("\n");
}

export function formatReport({ manifest, test, crossValidation }: TrainResult): string {
  const classes = manifest.classes;
  const data = manifest.data as { train_rows: number; test_rows: number };
  const perClass = table([
    ["class", "precision", "recall", "f1", "support"],
    ...classes.map((name) => {
      const m = test.per_class[name] as {
        precision: number;
        recall: number;
        f1: number;
        support: number;
      };
      return [name, num(m.precision), num(m.recall), num(m.f1), String(m.support)];
    }),
  ]);
  const confusion = table([
    ["true \\ predicted", ...classes],
    ...classes.map((name, c) => [name, ...(test.confusion_matrix[c] as number[]).map(String)]),
  ]);
  return [
    `model ${manifest.model_version}  (${(manifest.hyperparameters as { trees: number }).trees} trees, trained on ${data.train_rows} rows, tested on ${data.test_rows} held out)`,
    "",
    `test accuracy: ${pct(test.accuracy)}`,
    `${crossValidation.folds}-fold cross-validation accuracy (training part): ${pct(crossValidation.accuracy_mean)} ± ${pct(crossValidation.accuracy_std)}`,
    "",
    perClass,
    "",
    confusion,
  ].join("\n");
}
