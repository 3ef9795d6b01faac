/**
 * Trained models for the tests, each trained once per mocha run (a module-level cache: mocha
 * runs every spec file in one process) and written to a temporary folder that is removed when
 * the process exits.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AbstractMatrix } from "ml-matrix";
import { RandomForestClassifier } from "ml-random-forest";
import { type Files, packTarGz } from "../../core/archive.js";
import {
  type CompiledModel,
  canonicalJson,
  MODEL_JSON,
  TARBALL,
  verifyArtifact,
} from "../../core/artifact.js";
import { createPredictor, type Predictor } from "../../core/predictor.js";
import { type Dataset, loadIris } from "../../training/data.js";
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from "../../training/options.js";
import { type TrainResult, train } from "../../training/train.js";
import { writeArtifact } from "../../training/write.js";

export const REPO_ROOT = resolve(__dirname, "../..");

const temporaryDirs: string[] = [];
process.on("exit", () => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test process exits. */
export function tempDir(prefix = "iris-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

let iris: Dataset | undefined;
/** The 150 Iris rows (loaded once). */
export function irisData(): Dataset {
  iris ??= loadIris();
  return iris;
}

/** Each feature's largest value in the data: the box random rows are drawn from is 1.5× it. */
export function featureMaxima(): number[] {
  const { rows } = irisData();
  return [0, 1, 2, 3].map((f) => Math.max(...rows.map((row) => row[f] as number)));
}

/** The subset of the library's loaded forest that the tests look into. */
export interface LibraryForest {
  predict(rows: number[][]): number[];
  indexes: number[][];
  estimators: { predict(rows: number[][] | AbstractMatrix): number[] }[];
}

export interface TrainedModel {
  readonly options: TrainOptions;
  readonly result: TrainResult;
  readonly files: Files;
  /** The bytes of model.tar.gz. */
  readonly tarball: Buffer;
  /** A folder holding model.tar.gz and manifest.json, as `train --out` writes it. */
  readonly dir: string;
  readonly tarballPath: string;
  readonly compiled: CompiledModel;
  readonly predictor: Predictor;
  /** ml-random-forest's classifier, loaded from the artifact's model.json. */
  readonly library: LibraryForest;
}

const cache = new Map<string, Promise<TrainedModel>>();

async function build(options: TrainOptions): Promise<TrainedModel> {
  const result = train(irisData(), options);
  const dir = tempDir("iris-model-");
  await writeArtifact(dir, result.files);
  const tarball = await packTarGz(result.files);
  const text = (name: string) => new TextDecoder().decode(result.files.get(name));
  const library = RandomForestClassifier.load(
    JSON.parse(text(MODEL_JSON)),
  ) as unknown as LibraryForest;
  return {
    options,
    result,
    files: result.files,
    tarball,
    dir,
    tarballPath: join(dir, TARBALL),
    compiled: verifyArtifact(result.files).compiled,
    predictor: createPredictor(verifyArtifact(result.files)),
    library,
  };
}

/** A model trained with the defaults overridden by `overrides`; trained once per run. */
export function trainedModel(overrides: Partial<TrainOptions> = {}): Promise<TrainedModel> {
  const options = { ...DEFAULT_TRAIN_OPTIONS, ...overrides };
  const key = canonicalJson(options);
  let model = cache.get(key);
  if (!model) {
    model = build(options);
    cache.set(key, model);
  }
  return model;
}

/** The model `iris-mlops train` makes with no flags. */
export const defaultModel = (): Promise<TrainedModel> => trainedModel();

/** Write the artifact's files unpacked into a new folder, as SageMaker lays out /opt/ml/model. */
export async function unpackedFolder(files: Files): Promise<string> {
  const dir = tempDir("iris-unpacked-");
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  return dir;
}
