/**
 * SageMaker's training contract: hyper-parameters (all strings) from
 * input/config/hyperparameters.json, optional CSV files in the `train` channel (default: the
 * bundled Iris data), the model's files written unpacked to model/ (SageMaker tars them), and
 * on failure the reason in output/failure and a non-zero exit.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Dataset, loadIris } from "../training/data.js";
import { parseLabelledCsv } from "../training/labelled-csv.js";
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from "../training/options.js";
import { formatReport } from "../training/report.js";
import { train } from "../training/train.js";

/** Hyper-parameter names (as SageMaker users write them) → option, and how to read the string. */
const HYPERPARAMETERS: Record<string, [keyof TrainOptions, "number" | "boolean"]> = {
  trees: ["trees", "number"],
  seed: ["seed", "number"],
  max_features: ["maxFeatures", "number"],
  max_depth: ["maxDepth", "number"],
  min_samples: ["minSamples", "number"],
  gain_threshold: ["gainThreshold", "number"],
  replacement: ["replacement", "boolean"],
  bagging: ["bagging", "boolean"],
  test_fraction: ["testFraction", "number"],
  folds: ["folds", "number"],
};

export function optionsFromHyperparameters(values: Record<string, unknown>): TrainOptions {
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS };
  for (const [name, raw] of Object.entries(values)) {
    if (name.startsWith("sagemaker_")) continue; // set by SageMaker's SDKs, not ours
    const known = HYPERPARAMETERS[name];
    if (!known)
      throw new Error(
        `unknown hyper-parameter ${JSON.stringify(name)}; known: ${Object.keys(HYPERPARAMETERS).join(", ")}`,
      );
    const [option, kind] = known;
    const text = String(raw).trim();
    if (kind === "boolean") {
      if (text !== "true" && text !== "false")
        throw new Error(
          `hyper-parameter ${name} must be "true" or "false", got ${JSON.stringify(raw)}`,
        );
      (options as unknown as Record<string, unknown>)[option] = text === "true";
    } else {
      const value = Number(text);
      if (text === "" || !Number.isFinite(value))
        throw new Error(`hyper-parameter ${name} must be a number, got ${JSON.stringify(raw)}`);
      (options as unknown as Record<string, unknown>)[option] = value;
    }
  }
  return options;
}

async function readOptional(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
}

async function trainingData(channel: string): Promise<Dataset> {
  const files = await readdir(channel).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const csvs = files.filter((name) => name.endsWith(".csv")).sort();
  if (csvs.length === 0) return loadIris();
  const text = (await Promise.all(csvs.map((name) => readFile(join(channel, name), "utf8")))).join(
    "\n",
  );
  return parseLabelledCsv(text, `channel train (${csvs.join(", ")})`);
}

/** Run a training job under `root` (SageMaker's /opt/ml); returns the exit code. */
export async function runTrainingJob(
  root: string,
  log: (line: string) => void = console.log,
): Promise<number> {
  try {
    const hyperparameters = await readOptional(join(root, "input/config/hyperparameters.json"));
    const options = optionsFromHyperparameters(
      hyperparameters ? (JSON.parse(hyperparameters) as Record<string, unknown>) : {},
    );
    const result = train(await trainingData(join(root, "input/data/train")), options);
    const modelDir = join(root, "model");
    await mkdir(modelDir, { recursive: true });
    for (const [name, bytes] of result.files) await writeFile(join(modelDir, name), bytes);
    log(formatReport(result));
    // one line per metric, for SageMaker metric definitions (regex "test_accuracy=([0-9.]+)")
    log(`test_accuracy=${result.test.accuracy}`);
    log(`cv_accuracy_mean=${result.crossValidation.accuracy_mean}`);
    return 0;
  } catch (error) {
    const reason = `training failed: ${(error as Error).message}`;
    log(reason);
    await mkdir(join(root, "output"), { recursive: true });
    await writeFile(join(root, "output/failure"), `${reason}\n`);
    return 1;
  }
}
