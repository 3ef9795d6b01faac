/** `iris-mlops train` and the command line's help and flag errors, run as a real process. */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadPredictor } from "../../core/predictor.js";
import { runCli } from "../helpers/cli.js";
import { defaultModel, tempDir } from "../helpers/trained.js";

describe("cli: train", function () {
  this.timeout(120_000);

  it("train --out DIR writes model.tar.gz and manifest.json and prints the evaluation", async () => {
    const out = join(tempDir(), "artifacts");
    const { code, stdout, stderr } = await runCli(["train", "--out", out]);
    assert.equal(code, 0, stderr);
    assert.deepEqual((await readdir(out)).sort(), ["manifest.json", "model.tar.gz"]);
    assert.match(
      stdout,
      /^model [0-9a-f]{16} +\(50 trees, trained on 120 rows, tested on 30 held out\)$/m,
    );
    assert.match(stdout, /^test accuracy: \d{1,3}\.\d%$/m);
    assert.match(
      stdout,
      /^5-fold cross-validation accuracy \(training part\): \d+\.\d% ± \d+\.\d%$/m,
    );
    assert.match(stdout, /^class +precision +recall +f1 +support$/m);
    assert.match(stdout, /^setosa +\d\.\d{3} +\d\.\d{3} +\d\.\d{3} +10$/m);
    assert.match(stdout, /^true \\ predicted +setosa +versicolor +virginica$/m);
    assert.ok(
      stdout.includes(`wrote ${join(out, "model.tar.gz")} and ${join(out, "manifest.json")}`),
    );
    // the same model, to the byte, as training in this process with the same (default) options
    const model = await defaultModel();
    assert.ok((await readFile(join(out, "model.tar.gz"))).equals(model.tarball));
    const accuracy = (100 * model.result.test.accuracy).toFixed(1);
    assert.ok(stdout.includes(`test accuracy: ${accuracy}%`));
  });

  it("passes every hyper-parameter flag through, and --json prints the manifest", async () => {
    const out = tempDir();
    const { code, stdout, stderr } = await runCli([
      "train",
      "--out",
      out,
      "--trees",
      "6",
      "--seed",
      "3",
      "--max-depth",
      "2",
      "--max-features",
      "0.5",
      "--min-samples",
      "2",
      "--gain-threshold",
      "0.02",
      "--no-bagging",
      "--no-replacement",
      "--test-fraction",
      "0.3",
      "--folds",
      "3",
      "--json",
    ]);
    assert.equal(code, 0, stderr);
    const manifest = JSON.parse(stdout);
    assert.deepEqual(manifest.hyperparameters, {
      trees: 6,
      seed: 3,
      maxDepth: 2,
      maxFeatures: 0.5,
      minSamples: 2,
      gainThreshold: 0.02,
      bagging: false,
      replacement: false,
      testFraction: 0.3,
      folds: 3,
    });
    assert.equal(manifest.data.test_rows, 45);
    const predictor = await loadPredictor(out);
    assert.equal(predictor.modelVersion, manifest.model_version);
  });

  it("--help, for the program and each command", async () => {
    const top = await runCli(["--help"]);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /^Usage: iris-mlops \[options\] \[command\]/);
    assert.match(top.stdout, /train \[options\]/);
    assert.match(top.stdout, /predict \[options\]/);

    const train = await runCli(["train", "--help"]);
    assert.equal(train.code, 0);
    assert.match(train.stdout, /^Usage: iris-mlops train \[options\]/);
    for (const flag of [
      "--out <dir>",
      "--trees <n>",
      "--seed <n>",
      "--max-depth <n>",
      "--no-bagging",
      "--json",
    ]) {
      assert.ok(train.stdout.includes(flag), `train --help lists ${flag}`);
    }
    assert.match(train.stdout, /--trees <n> +number of trees \(default: 50\)/);

    const predict = await runCli(["predict", "--help"]);
    assert.equal(predict.code, 0);
    assert.match(predict.stdout, /^Usage: iris-mlops predict \[options\]/);
    for (const flag of ["--model <path>", "--input <file>", "--format <format>"]) {
      assert.ok(predict.stdout.includes(flag), `predict --help lists ${flag}`);
    }
    assert.match(predict.stdout, /choices: "auto", "csv", "jsonl"/);
  });

  const bad: [string, string[], RegExp][] = [
    [
      "a non-integer --trees",
      ["train", "--trees", "ten"],
      /option '--trees <n>' argument 'ten' is invalid\. expected a whole number/,
    ],
    [
      "a fractional --seed",
      ["train", "--seed", "1.5"],
      /'--seed <n>' argument '1\.5' is invalid\. expected a whole number/,
    ],
    [
      "a non-number --test-fraction",
      ["train", "--test-fraction", "half"],
      /argument 'half' is invalid\. expected a number/,
    ],
    [
      "--trees 0",
      ["train", "--trees", "0", "--out", "OUT"],
      /^iris-mlops: trees must be an integer from 1 to 5000, got 0$/m,
    ],
    [
      "--folds 1",
      ["train", "--folds", "1", "--out", "OUT"],
      /^iris-mlops: folds must be an integer from 2 to 20, got 1$/m,
    ],
    ["an unknown option", ["train", "--bogus"], /unknown option '--bogus'/],
    ["an unknown command", ["frobnicate"], /unknown command 'frobnicate'/],
    ["a missing option value", ["train", "--out"], /option '--out <dir>' argument missing/],
    [
      "an unknown --format",
      ["predict", "--format", "xml"],
      /argument 'xml' is invalid\. Allowed choices are auto, csv, jsonl/,
    ],
    [
      "a model that does not exist",
      ["predict", "--model", "/nonexistent/model.tar.gz"],
      /^iris-mlops: cannot read the model at \/nonexistent\/model\.tar\.gz/m,
    ],
  ];
  for (const [what, args, message] of bad) {
    it(`exits non-zero with a message on ${what}`, async () => {
      const out = tempDir();
      const { code, stderr, stdout } = await runCli(args.map((a) => (a === "OUT" ? out : a)));
      assert.notEqual(code, 0);
      assert.match(stderr, message);
      assert.equal(stdout.includes("wrote"), false);
      // nothing written on failure
      assert.deepEqual(await readdir(out), []);
    });
  }
});
