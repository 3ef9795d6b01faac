/** `iris-mlops predict`: its flags, and what it says on stderr and in its exit code. */
import { availableParallelism } from "node:os";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { OutputFormat } from "../core/answer-bytes.js";
import { FEATURES } from "../core/features.js";
import type { InputFormat } from "../core/line-batch.js";
import { addModelOptions, loadModelForCli, type ModelFlags } from "./model-options.js";
import { integer } from "./options.js";
import { openInput, type PredictStreamResult, predictStream } from "./predict.js";

/** More threads than this would only wait on the one that reads and writes. */
export const MAX_JOBS = 64;

/** How often progress is redrawn on a terminal. */
const PROGRESS_MS = 200;

const jobs = (value: string): number => {
  const n = integer(value);
  if (n < 1 || n > MAX_JOBS) throw new InvalidArgumentError(`expected 1 to ${MAX_JOBS}`);
  return n;
};

interface PredictFlags extends ModelFlags {
  model: string;
  input: string;
  format: InputFormat;
  outputFormat: OutputFormat;
  jobs: number;
}

/** Progress on stderr, redrawn in place, only when stderr is a terminal. */
function progress(): {
  onProgress?: (rows: number) => void;
  done(result: PredictStreamResult): void;
} {
  if (!process.stderr.isTTY) return { done: () => undefined };
  let drawn = 0;
  return {
    onProgress(rows) {
      const now = Date.now();
      if (now - drawn < PROGRESS_MS) return;
      drawn = now;
      process.stderr.write(`\r${rows.toLocaleString("en")} rows`);
    },
    done({ rows, errors }) {
      process.stderr.write(`\r${rows.toLocaleString("en")} rows, ${errors} with errors\n`);
    },
  };
}

export function addPredictCommand(program: Command, defaultModel: string): void {
  const predict = program
    .command("predict")
    .description(
      "Predict the species of every row of a CSV (header optional) or JSON-lines input; one answer line out per row, in order (JSON lines, or CSV with --output-format csv). " +
        'A bad row gives an error line ({"error": ...}, or the CSV error column) and the command exits 1 at the end; a CSV first line that is neither a header nor a row of numbers stops it there (exit 1).',
    )
    .option(
      "--model <path>",
      "a model.tar.gz, a folder holding one or its unpacked files, or s3://bucket/key",
      defaultModel,
    )
    .option("--input <file>", "the rows to predict, - for standard input", "-")
    .addOption(
      new Option("--format <format>", "input format")
        .choices(["auto", "csv", "jsonl"])
        .default("auto"),
    )
    .addOption(
      new Option(
        "--output-format <format>",
        "answers as JSON lines, or as CSV with a header (species, probability_<class>..., is_iris, error)",
      )
        .choices(["jsonl", "csv"])
        .default("jsonl"),
    )
    .option(
      "--jobs <n>",
      "threads that parse and predict (this one and n - 1 workers, at most one per core), for large inputs; the output keeps the input's order",
      jobs,
      1,
    );
  addModelOptions(predict).action(async (flags: PredictFlags) => {
    const predictor = await loadModelForCli(flags.model, flags);
    const shown = progress();
    const result = await predictStream(predictor, openInput(flags.input), process.stdout, {
      format: flags.format,
      output: flags.outputFormat,
      // a thread per core at most: more only wait for a core, each with its own heap (~13 MB)
      jobs: Math.min(flags.jobs, availableParallelism()),
      ...(shown.onProgress ? { onProgress: shown.onProgress } : {}),
    });
    shown.done(result);
    if (result.stopped === "bad_first_line")
      process.stderr.write(
        `iris-mlops: stopped at line 1: the first line of a CSV input is a header naming the four features in any order, or a row of numbers in the order ${FEATURES.join(", ")}; this one is neither, so no row was predicted. Fix the first line or remove it\n`,
      );
    // a closed output (`| head -1`) is the reader's choice: stop quietly
    if (result.errors > 0) process.exitCode = 1;
  });
}
