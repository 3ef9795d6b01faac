#!/usr/bin/env node
/** The `iris-mlops` command: train a model, predict from files, serve the model over HTTP. */
import { Command, Option } from "commander";
import { loadPredictor } from "../core/predictor.js";
import { loadIris } from "../training/data.js";
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from "../training/options.js";
import { formatReport } from "../training/report.js";
import { train } from "../training/train.js";
import { writeArtifact } from "../training/write.js";
import { decimal, integer } from "./options.js";
import { type InputFormat, openInput, predictStream } from "./predict.js";

export const DEFAULT_ARTIFACT_DIR = "artifacts";

export function buildProgram(): Command {
  const program = new Command("iris-mlops")
    .description("Train, evaluate and serve a Random Forest that recognises Iris species.")
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  const d = DEFAULT_TRAIN_OPTIONS;
  program
    .command("train")
    .description(
      "Train on the Iris data, print the evaluation and write model.tar.gz + manifest.json.",
    )
    .option("--out <dir>", "where to write the artifact", DEFAULT_ARTIFACT_DIR)
    .option("--trees <n>", "number of trees", integer, d.trees)
    .option("--seed <n>", "seed of the split, the folds and the forest", integer, d.seed)
    .option(
      "--max-features <x>",
      "features per tree: a fraction in (0, 1] or a count",
      decimal,
      d.maxFeatures,
    )
    .option("--max-depth <n>", "tree depth limit (default: unlimited)", integer)
    .option(
      "--min-samples <n>",
      "a node with this many rows or fewer is a leaf",
      integer,
      d.minSamples,
    )
    .option("--gain-threshold <x>", "least Gini gain a split must bring", decimal, d.gainThreshold)
    .option("--no-replacement", "draw each tree's features without replacement")
    .option("--no-bagging", "train every tree on all rows (no bootstrap)")
    .option(
      "--test-fraction <x>",
      "share of each class held out for testing",
      decimal,
      d.testFraction,
    )
    .option("--folds <k>", "cross-validation folds", integer, d.folds)
    .option("--json", "print the manifest as JSON instead of the table")
    .action(async (flags) => {
      const options: TrainOptions = {
        trees: flags.trees,
        seed: flags.seed,
        maxFeatures: flags.maxFeatures,
        maxDepth: flags.maxDepth,
        minSamples: flags.minSamples,
        gainThreshold: flags.gainThreshold,
        replacement: flags.replacement,
        bagging: flags.bagging,
        testFraction: flags.testFraction,
        folds: flags.folds,
      };
      const result = train(loadIris(), options);
      const written = await writeArtifact(flags.out, result.files);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result.manifest, null, 2)}\n`);
      } else {
        process.stdout.write(
          `${formatReport(result)}\n\nwrote ${written.tarball} and ${written.manifest}\n`,
        );
      }
    });

  program
    .command("predict")
    .description(
      "Predict the species of every row of a CSV (header optional) or JSON-lines input; one JSON line out per row, in order. " +
        'A bad row gives {"error": ...} and the command exits 1 at the end.',
    )
    .option(
      "--model <path>",
      "a model.tar.gz, or a folder holding one or its unpacked files",
      DEFAULT_ARTIFACT_DIR,
    )
    .option("--input <file>", "the rows to predict, - for standard input", "-")
    .addOption(
      new Option("--format <format>", "input format")
        .choices(["auto", "csv", "jsonl"])
        .default("auto"),
    )
    .action(async (flags: { model: string; input: string; format: InputFormat }) => {
      const predictor = await loadPredictor(flags.model);
      const tty = process.stderr.isTTY;
      const result = await predictStream(predictor, openInput(flags.input), process.stdout, {
        format: flags.format,
        ...(tty
          ? {
              onProgress: (rows: number) =>
                process.stderr.write(`\r${rows.toLocaleString("en")} rows`),
            }
          : {}),
      });
      if (tty)
        process.stderr.write(
          `\r${result.rows.toLocaleString("en")} rows, ${result.errors} with errors\n`,
        );
      if (result.errors > 0) process.exitCode = 1;
    });

  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync()
    .catch((error: Error) => {
      process.stderr.write(`iris-mlops: ${error.message}\n`);
      process.exitCode = 2;
    });
}
