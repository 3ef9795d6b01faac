/**
 * One trained model per test run, shared by every serving test: the sealed files, the
 * model.tar.gz bytes and their sha256, a folder holding the tarball, and the predictor.
 * Also tampered copies, for the tests that must see a model refused.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Files, packTarGz } from "../../core/archive.js";
import { COMPILED_JSON, MANIFEST, sha256, TARBALL } from "../../core/artifact.js";
import { loadPredictor, type Predictor } from "../../core/predictor.js";
import { loadIris } from "../../training/data.js";
import { DEFAULT_TRAIN_OPTIONS } from "../../training/options.js";
import { train } from "../../training/train.js";
import { writeArtifact } from "../../training/write.js";

export interface TrainedModel {
  files: Files;
  tarball: Buffer;
  sha256: string;
  /** A folder holding model.tar.gz and manifest.json, as `iris-mlops train` writes them. */
  dir: string;
  tarballPath: string;
  predictor: Predictor;
  modelVersion: string;
}

let trained: Promise<TrainedModel> | undefined;
const folders: string[] = [];

/** The run's model, trained on first use (20 trees: the serving tests need a model, not a good one). */
export function trainedModel(): Promise<TrainedModel> {
  trained ??= (async () => {
    const result = train(loadIris(), { ...DEFAULT_TRAIN_OPTIONS, trees: 20, folds: 2 });
    const tarball = await packTarGz(result.files);
    const dir = await tempDir("serving-tests-model-");
    await writeArtifact(dir, result.files);
    const predictor = await loadPredictor(tarball);
    return {
      files: result.files,
      tarball,
      sha256: sha256(tarball),
      dir,
      tarballPath: join(dir, TARBALL),
      predictor,
      modelVersion: predictor.modelVersion,
    };
  })();
  return trained;
}

/** A temporary folder, removed when the run ends. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

// Under mocha, a hook registered while a spec file loads belongs to the root suite: the folders
// go once every test has run. Outside mocha (a spawned helper) there is no `after`.
if (typeof after === "function") after(removeTempDirs);

/** A copy of the model's tarball with one inner file's bytes changed (the manifest left as is). */
export async function tamperedTarball(
  model: TrainedModel,
  name: string = COMPILED_JSON,
): Promise<Buffer> {
  const files: Files = new Map(model.files);
  const original = new TextDecoder().decode(files.get(name));
  // change one digit of the first number: still valid JSON, different bytes
  const changed = original.replace(/\d/, (d) => String((Number(d) + 1) % 10));
  if (changed === original) throw new Error(`no digit to change in ${name}`);
  files.set(name, new TextEncoder().encode(changed));
  return packTarGz(files);
}

/** A tarball whose manifest was edited (a hyper-parameter changed) without resealing. */
export async function editedManifestTarball(model: TrainedModel): Promise<Buffer> {
  const files: Files = new Map(model.files);
  const manifest = JSON.parse(new TextDecoder().decode(files.get(MANIFEST))) as {
    hyperparameters: Record<string, unknown>;
  };
  manifest.hyperparameters.trees = 1000;
  files.set(MANIFEST, new TextEncoder().encode(JSON.stringify(manifest)));
  return packTarGz(files);
}

/** A measurement object as the API takes it. */
export const SETOSA = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };
export const VIRGINICA = {
  sepal_length: 6.3,
  sepal_width: 3.3,
  petal_length: 6,
  petal_width: 2.5,
};
export const rowOf = (m: typeof SETOSA): number[] => [
  m.sepal_length,
  m.sepal_width,
  m.petal_length,
  m.petal_width,
];
