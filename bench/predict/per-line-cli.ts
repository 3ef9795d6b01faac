/**
 * The per-line baseline of bench/predict.bench.ts as a command: `iris-mlops predict` as it
 * was before the batch readers (bench/lib/per-line-predict.ts), on a local model. The benchmark
 * bundles it with esbuild as the CLI is bundled, so that it starts as fast.
 *
 *   node per-line-cli.js MODEL_DIR ROWS.csv > answers.jsonl
 */
import { createReadStream } from "node:fs";
import { loadLocalModel } from "../../serving/model-load.js";
import { predictStreamPerLine } from "../lib/per-line-predict.js";

async function main() {
  const [model, input] = process.argv.slice(2) as [string, string];
  const predictor = await loadLocalModel(model, {});
  const result = await predictStreamPerLine(predictor, createReadStream(input), process.stdout, {
    format: "auto",
  });
  if (result.errors > 0) process.exitCode = 1;
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 2;
});
