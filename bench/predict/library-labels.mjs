/**
 * The baseline of bench/predict.bench.ts: a plain script that loads the same forest with
 * ml-random-forest (model.json of the artifact) and prints the species of every CSV row, one a
 * line: what a user would write without this project's CLI.
 *
 *   node bench/predict/library-labels.mjs MODEL_DIR ROWS.csv > labels.txt
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RandomForestClassifier } from "ml-random-forest";

const [dir, input] = process.argv.slice(2);
const forest = RandomForestClassifier.load(
  JSON.parse(readFileSync(join(dir, "model.json"), "utf8")),
);
const { classes } = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const rows = [];
for (const line of readFileSync(input, "utf8").split("\n")) {
  const values = line.split(",").map(Number);
  if (values.length === 4 && values.every(Number.isFinite)) rows.push(values);
}
process.stdout.write(
  `${forest
    .predict(rows)
    .map((label) => classes[label])
    .join("\n")}\n`,
);
